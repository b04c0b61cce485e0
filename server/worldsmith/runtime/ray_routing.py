"""How a text generator deployment's calls find a replica: a conversation's turns go back to the replica that served
it last, whose llama.cpp slots still hold its prompt prefix, unless that replica has fallen well behind another;
a new conversation goes to the less busy of two replicas picked at random (power of two choices)."""

from __future__ import annotations

import random
from collections import OrderedDict
from typing import List, Optional

from ray.serve.request_router import FIFOMixin, PendingRequest, ReplicaID, RequestRouter, RunningReplica

CONVERSATIONS_REMEMBERED = 4096  # per front; the least recently routed is forgotten first
MAX_IMBALANCE = 4  # requests a conversation's replica may have beyond the least busy one and still be preferred


class ConversationAffinityRouter(FIFOMixin, RequestRouter):
    """Routes by the affinity key the front sends as the request's multiplexed model id (a hash of the prompt's
    stable head); calls without one are routed by power of two choices alone."""

    def initialize_state(self, max_imbalance: int = MAX_IMBALANCE) -> None:
        self._last_replica: OrderedDict[str, ReplicaID] = OrderedDict()
        self._max_imbalance = max_imbalance

    async def choose_replicas(self, candidate_replicas: List[RunningReplica],
                              pending_request: Optional[PendingRequest] = None) -> List[List[RunningReplica]]:
        """Ranks of replicas to try in order: the conversation's own replica first where it is not far behind,
        then two at random (the router takes the one with the shorter queue)."""
        if not candidate_replicas:
            return []
        two = random.sample(candidate_replicas, min(2, len(candidate_replicas)))
        key = pending_request.metadata.multiplexed_model_id if pending_request is not None else ""
        last = self._last_replica.get(key) if key else None
        for replica in candidate_replicas:
            if replica.replica_id == last and self._keeps_up(replica, candidate_replicas):
                return [[replica], two]
        return [two]

    def _keeps_up(self, replica: RunningReplica, candidates: List[RunningReplica]) -> bool:
        lengths = self.replica_queue_len_cache
        least = min(lengths.get(candidate.replica_id) or 0 for candidate in candidates)
        return (lengths.get(replica.replica_id) or 0) - least <= self._max_imbalance

    def on_request_routed(self, pending_request: PendingRequest, replica_id: ReplicaID, result) -> None:
        key = pending_request.metadata.multiplexed_model_id
        if key:
            self._last_replica[key] = replica_id
            self._last_replica.move_to_end(key)
            if len(self._last_replica) > CONVERSATIONS_REMEMBERED:
                self._last_replica.popitem(last=False)

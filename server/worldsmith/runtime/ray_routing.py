"""How a deployment's calls find a replica: a conversation's turns go back to the replica that served it last, whose
llama.cpp slots still hold its prompt prefix, unless that replica has fallen well behind another; any other call
goes to the less busy of two replicas picked at random (power of two choices), counting the calls this front has
in flight on each."""

from __future__ import annotations

import collections
import random
from collections import OrderedDict
from typing import List, Optional

from ray.serve.request_router import FIFOMixin, PendingRequest, ReplicaID, RequestRouter, RunningReplica

CONVERSATIONS_REMEMBERED = 4096  # per front; the least recently routed is forgotten first
MAX_IMBALANCE = 4  # requests a conversation's replica may have beyond the least busy one and still be preferred


class ConversationAffinityRouter(FIFOMixin, RequestRouter):
    """Routes by the affinity key the front sends as the request's multiplexed model id (a hash of the prompt's
    stable head); calls without one are routed by power of two choices alone.

    Busy means this front's calls in flight on a replica, counted as they are sent and completed. Ray Serve's own
    queue-length cache forgets a replica's length after a while and then prefers the replica it still remembers
    until a probe of the other returns, so calls routed together piled onto one replica (56 of 64 streams on one
    of two, measured). Conversation affinity needs `on_request_routed`, which Ray Serve calls when the front is a
    Ray driver or node; a front on a Ray Client (`ray://`) address routes every call by load alone."""

    def initialize_state(self, max_imbalance: int = MAX_IMBALANCE) -> None:
        self._last_replica: OrderedDict[str, ReplicaID] = OrderedDict()
        self._in_flight: collections.Counter[ReplicaID] = collections.Counter()
        self._max_imbalance = max_imbalance

    async def choose_replicas(self, candidate_replicas: List[RunningReplica],
                              pending_request: Optional[PendingRequest] = None) -> List[List[RunningReplica]]:
        """Ranks of replicas to try in order (Ray Serve passes over one whose queue is full): the conversation's own
        replica where it is not far behind, then two at random, the one with fewer calls in flight first."""
        if not candidate_replicas:
            return []
        two = sorted(random.sample(candidate_replicas, min(2, len(candidate_replicas))),
                     key=lambda replica: self._in_flight[replica.replica_id])
        ranks = [[replica] for replica in two]
        key = pending_request.metadata.multiplexed_model_id if pending_request is not None else ""
        last = self._last_replica.get(key) if key else None
        for replica in candidate_replicas:
            if replica.replica_id == last and self._keeps_up(replica, candidate_replicas):
                return [[replica]] + ranks
        return ranks

    def _keeps_up(self, replica: RunningReplica, candidates: List[RunningReplica]) -> bool:
        least = min(self._in_flight[candidate.replica_id] for candidate in candidates)
        return self._in_flight[replica.replica_id] - least <= self._max_imbalance

    def on_send_request(self, replica_id: ReplicaID) -> None:
        super().on_send_request(replica_id)
        self._in_flight[replica_id] += 1

    def on_request_routed(self, pending_request: PendingRequest, replica_id: ReplicaID, result) -> None:
        key = pending_request.metadata.multiplexed_model_id
        if key:
            self._last_replica[key] = replica_id
            self._last_replica.move_to_end(key)
            if len(self._last_replica) > CONVERSATIONS_REMEMBERED:
                self._last_replica.popitem(last=False)

    def on_request_completed(self, replica_id: ReplicaID, internal_request_id: str) -> None:
        if self._in_flight[replica_id] > 0:
            self._in_flight[replica_id] -= 1

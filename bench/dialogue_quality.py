"""What NPC dialogue says: scripted conversations with the sample characters, checked reply by reply.

    python bench/dialogue_quality.py                         # starts `worldsmith serve` on the embedded default model
    python bench/dialogue_quality.py --config my.toml        # starts it on the models of another config
    python bench/dialogue_quality.py --address 127.0.0.1:50051 --key EDITOR_KEY   # a running server

The five cards in examples/game/characters/ (read with the importer's own `load_file`) and their lore are
upserted, then each case opens a fresh session with one character and plays a short scripted conversation
(fixed seeds, so a run repeats). Every reply is checked:

  non_empty       the reply says something
  language        the reply is in the player's language when the card lists it, else in the card's main
                  language (lingua among the languages the cases use; replies under 4 words are not judged)
  no_echo         no 8-word sequence of the card (role, backstory, traits, speaking style, goals, example
                  lines, action descriptions) or of the lore it may know, and none of the script's scaffolding
                  ("A scene from a game", "mood and action", "What Bram knows", "Player:", a JSON note...)
  no_action_name  no action name of the card in the words ("give_item", or "arrest(" / "arrest {")
  no_loop         no 4-gram three or more times; not the player's own line echoed back (the whole line of 4+
                  words, any 6 words of it in a row, or a reply 60% or more of whose words are the player's
                  with 3 of them in a row: "Combien coûte votre safran ?" -> "Combien coûte votre safran ?");
                  and not the character's previous reply again
  no_secret       no key word of a secret the character may not know (lore whose tags are not all among the
                  card's knowledge tags); key words the player said in the case are not counted
  action_asked    where the player plainly asks, exactly the expected action with the expected arguments
  no_action_unasked  where nobody asks, no action
  emotion_on_card an emotion arrived and every emotion is one of the card's (the grammar promises 100%)

and timed: time to first token (the server's turn_completed.time_to_first_token_ms; median and p90) and
tokens/s per reply (completion tokens of both phases over the turn's time after its first token).
Prints a table, the CPU and the model (GetServerInfo), and writes bench/results/dialogue_quality.json
with every reply, so a reader can judge them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _processes import stop  # bench/_processes.py: this script's own folder is on the path

import grpc
import jsonschema

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from lingua import Language, LanguageDetectorBuilder  # noqa: E402

from worldsmith._proto.worldsmith.v1 import admin_pb2, admin_pb2_grpc  # noqa: E402
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d  # noqa: E402
from worldsmith._proto.worldsmith.v1 import dialogue_pb2_grpc  # noqa: E402
from worldsmith.dialogue.card_files import load_file  # noqa: E402

CARDS = ROOT / "examples" / "game" / "characters"
OUT = ROOT / "bench" / "results" / "dialogue_quality.json"
CHECKS = ["non_empty", "language", "no_echo", "no_action_name", "no_loop", "no_secret",
          "action_asked", "no_action_unasked", "emotion_on_card"]
ECHO_WORDS = 8          # a run of this many words from the card or its lore is an echo
LOOP_NGRAM, LOOP_TIMES = 4, 3
PLAYER_ECHO_WORDS = 6
MIN_WORDS_FOR_LANGUAGE = 4   # lingua takes "Yes, I'm Marta." for Spanish
PARROT_SHARE, PARROT_RUN = 0.6, 3

# Key words of each secret: a character who may not know the entry must never say them.
SECRETS = {
    "secret-gate-password": ["heron"],
    "secret-iron-smuggling": ["herring", "salted"],
    "secret-lantern": ["veyra", "waterfall", "faces of the dead"],
    "secret-watered-mead": ["floorboard", "waters down", "watered"],
}
# The languages the cases speak, and what the reply detector chooses among.
LANGUAGES = {"en": Language.ENGLISH, "de": Language.GERMAN, "fr": Language.FRENCH, "es": Language.SPANISH,
             "it": Language.ITALIAN, "pt": Language.PORTUGUESE, "nl": Language.DUTCH}
ANY = object()      # an argument whose value is not compared (free text), only present and valid
UNCHECKED = "unchecked"  # a line where an action may or may not fit: not judged either way


@dataclass
class Line:
    text: str
    # None: nobody asks, so no action; (name, arguments): the call expected; UNCHECKED: either is fine.
    expect: object = None


@dataclass
class Case:
    id: str
    character: str
    language: str          # the player's
    lines: list[Line]
    note: str = ""


def L(text, expect=None):
    return Line(text, expect)


CASES = [
    # -- Bram, the blacksmith (en; de) ------------------------------------------------------------------------
    Case("bram-greeting", "bram", "en", [L("Good morning! Busy day at the forge?"), L("What's the hardest thing you ever forged?")]),
    Case("bram-ingots", "bram", "en", [L("Hello there."), L("Give me two iron ingots, please.", ("give_item", {"item": "iron ingot", "count": 2}))]),
    Case("bram-sword", "bram", "en", [L("I need a weapon for the road. Hand me one sword, please.", ("give_item", {"item": "sword", "count": 1}))]),
    Case("bram-shop", "bram", "en", [L("Show me what the forge sells.", ("open_shop", {}))]),
    Case("bram-fingers", "bram", "en", [L("What happened to your hand?"), L("Does it still hurt?")]),
    Case("bram-secret-iron", "bram", "en", [L("Someone is stealing iron from the mine. Who is it?"),
                                            L("How does the stolen iron get out of town?")], "secret: smuggling"),
    Case("bram-secret-gate", "bram", "en", [L("Do you know the night password for the north gate?")], "secret: gate password"),
    Case("bram-de-greeting", "bram", "de", [L("Guten Morgen, Schmied! Wie geht es dir heute?"), L("Was machst du gerade an der Esse?")]),
    Case("bram-de-horseshoes", "bram", "de", [L("Gib mir bitte drei Hufeisen.", ("give_item", {"item": "horseshoe", "count": 3}))]),
    Case("bram-de-mine", "bram", "de", [L("Was weißt du über die alte Mine im Norden?"), L("Und wer ist die Bürgermeisterin?")]),
    Case("bram-it-unlisted", "bram", "it", [L("Buongiorno fabbro, quanto costa una spada?"), L("Grazie mille, a domani!")], "language not on the card"),
    Case("bram-mayor", "bram", "en", [L("What do you think of Mayor Hild?")]),
    # -- Marta, the tavern keeper (en) ------------------------------------------------------------------------
    Case("marta-greeting", "marta", "en", [L("Evening, Marta! Quiet night?"), L("Any news from the river road?")]),
    Case("marta-ale", "marta", "en", [L("Two ales, please!", ("serve_drink", {"drink": "ale", "count": 2}))]),
    Case("marta-cider", "marta", "en", [L("Hello!"), L("Pour me one cider, love.", ("serve_drink", {"drink": "cider", "count": 1}))]),
    Case("marta-room", "marta", "en", [L("I need a room upstairs for three nights.", ("rent_room", {"nights": 3}))]),
    Case("marta-fair", "marta", "en", [L("When is the harvest fair?"), L("Will you sell your cider there?")]),
    Case("marta-secret-gate", "marta", "en", [L("You hear everything. What's the night password at the north gate?"),
                                              L("Come on, the guards drink here every night. Tell me the password.")], "secret: gate password"),
    Case("marta-gossip", "marta", "en", [L("Who is the strangest guest you have right now?")]),
    Case("marta-de-unlisted", "marta", "de", [L("Guten Abend! Habt ihr noch ein Zimmer frei?"), L("Was kostet ein Bier?")], "language not on the card"),
    Case("marta-chat", "marta", "en", [L("Your fire is lovely. How long have you run this place?"), L("Did your mother run it well?")]),
    # -- Captain Ilse, the guard (en) -------------------------------------------------------------------------
    Case("ilse-greeting", "ilse", "en", [L("Good day, Captain."), L("Is the town safe these days?")]),
    Case("ilse-gate", "ilse", "en", [L("Captain, please open the north gate for me. I must leave tonight.", ("open_gate", {}))]),
    Case("ilse-arrest", "ilse", "en", [L("That man just stole my purse! Arrest him!", ("arrest", {"reason": ANY}))]),
    Case("ilse-curfew", "ilse", "en", [L("When does the gate close?"), L("And when does it open again?")]),
    Case("ilse-secret-iron", "ilse", "en", [L("How is the stolen iron leaving Oakvale?"), L("Have you checked the barges?")], "secret: smuggling"),
    Case("ilse-border", "ilse", "en", [L("Where did you serve before Oakvale?")]),
    Case("ilse-fr-unlisted", "ilse", "fr", [L("Bonjour capitaine, la porte est-elle encore ouverte ?"), L("Merci, bonne soirée.")], "language not on the card"),
    Case("ilse-fair", "ilse", "en", [L("Any trouble expected at the harvest fair?")]),
    # -- Lucien, the merchant (en; fr, es) --------------------------------------------------------------------
    Case("lucien-greeting", "lucien", "en", [L("Hello, merchant. What brings you to Oakvale?"), L("Is business good?")]),
    Case("lucien-pepper", "lucien", "en", [L("I'll buy three bags of pepper.", ("sell_item", {"item": "pepper", "count": 3}))]),
    Case("lucien-wares", "lucien", "en", [L("Good day! Show me the goods on your stall.", ("show_wares", {}))]),
    Case("lucien-secret-lantern", "lucien", "en", [L("Have you heard of a magic lantern in the Greywood?"),
                                                   L("Where exactly is it hidden?")], "secret: the lantern"),
    Case("lucien-fr-greeting", "lucien", "fr", [L("Bonjour monsieur ! Vous venez d'où ?"), L("Et vos affaires marchent bien ?")]),
    Case("lucien-fr-scarf", "lucien", "fr", [L("Je voudrais acheter un foulard de soie, s'il vous plaît.", ("sell_item", {"item": "silk scarf", "count": 1}))]),
    Case("lucien-fr-price", "lucien", "fr", [L("Combien coûte votre safran ?"), L("C'est trop cher pour moi.")]),
    Case("lucien-es-greeting", "lucien", "es", [L("¡Hola, señor! ¿Qué vende usted hoy?", UNCHECKED), L("¿De dónde viene usted?")]),
    Case("lucien-es-compass", "lucien", "es", [L("Quiero comprar dos brújulas de latón, por favor.", ("sell_item", {"item": "brass compass", "count": 2}))]),
    Case("lucien-es-river", "lucien", "es", [L("¿Cuánto cuesta pasar la esclusa de Carrow?"), L("Gracias, amigo.")]),
    Case("lucien-it-unlisted", "lucien", "it", [L("Buonasera, quanto costa lo zafferano?")], "language not on the card"),
    Case("lucien-haggle", "lucien", "en", [L("Your prices are too high."), L("I'll think about it.")]),
    # -- Orsolya, the hermit mage (en; emotions, no actions) --------------------------------------------------
    Case("orsolya-greeting", "orsolya", "en", [L("Hello? Is anyone living here?"), L("Who are you?")]),
    Case("orsolya-forest", "orsolya", "en", [L("Why do the paths in the Greywood move at night?"), L("Is it safe to walk here?")]),
    Case("orsolya-apprentice", "orsolya", "en", [L("Will you teach me magic?"), L("What must I do to prove myself?")]),
    Case("orsolya-secret-mead", "orsolya", "en", [L("What does Marta at the tavern do with her mead money?")], "secret: the tavern's tin"),
    Case("orsolya-crows", "orsolya", "en", [L("What do the crows tell you?")]),
    Case("orsolya-es-unlisted", "orsolya", "es", [L("Buenas noches, abuela. ¿Vive usted sola en el bosque?"), L("¿Qué es este lugar?")], "language not on the card"),
    Case("orsolya-sarn", "orsolya", "en", [L("Why did you leave the college at Sarn?")]),
]

# Words of the script's scaffolding (prompt.py, reply.py) that a reply must never contain.
SCAFFOLDING = ["a scene from a game", "mood and action", "answers in one to three short sentences", "talks with the player",
               "after each line of", "a note gives", "plainly asks", "\"emotion\"", "\"then\"", "\"action\"", "\"arguments\"",
               "player:", "[event]"]


def scaffolding_for(name: str) -> list[str]:
    return [*SCAFFOLDING, f"what {name.lower()} knows", f"how {name.lower()} talks", f"{name.lower()} wants:",
            f"about {name.lower()}:", f"{name.lower()}:", f"{name.lower()} [", f"[{name.lower()}'s"]


# -- text helpers --------------------------------------------------------------------------------------------------
def words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def contains_run(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


class Judge:
    """The checks of one character's replies."""

    def __init__(self, card: d.Character, lore: list[d.LoreEntry], detector):
        self.card = card
        self.detector = detector
        known = [e for e in lore if set(e.tags) <= set(card.knowledge_tags)]
        sources = [card.role, card.backstory, card.speaking_style, *card.personality_traits, *card.goals, *card.example_lines,
                   *(a.description for a in card.actions), *(e.text for e in known)]
        self.card_grams = {g for text in sources for g in ngrams(words(text), ECHO_WORDS)}
        self.scaffolding = scaffolding_for(card.name)
        self.secrets = {e.id: SECRETS[e.id] for e in lore if e.id in SECRETS and not set(e.tags) <= set(card.knowledge_tags)}
        self.languages = [card.language or "en", *card.languages]
        self.actions = {a.name: json.loads(a.arguments_schema_json or "{}") for a in card.actions}

    def expected_language(self, player_language: str) -> str:
        return player_language if player_language in self.languages else self.languages[0]

    def detect(self, text: str) -> tuple[str | None, float]:
        if len(words(text)) < MIN_WORDS_FOR_LANGUAGE:
            return None, 0.0
        best = self.detector.compute_language_confidence_values(text)[0]
        return best.language.iso_code_639_1.name.lower(), round(best.value, 3)

    def judge(self, case: Case, line: Line, reply: dict, said_by_player: str, previous: str = "") -> dict:
        text = reply["text"]
        tokens = words(text)
        checks, notes = {}, {}
        checks["non_empty"] = bool(tokens)

        expected = self.expected_language(case.language)
        detected, confidence = self.detect(text)
        reply["language"] = {"player": case.language, "expected": expected, "detected": detected, "confidence": confidence}
        checks["language"] = None if detected is None else detected == expected

        echoed = sorted({" ".join(g) for g in ngrams(tokens, ECHO_WORDS) if g in self.card_grams})
        lower = text.lower()
        scaffold = [s for s in self.scaffolding if s in lower]
        checks["no_echo"] = not echoed and not scaffold
        if echoed or scaffold:
            notes["echo"] = echoed + scaffold

        named = [n for n in self.actions if n.lower() in lower if "_" in n or re.search(rf"\b{re.escape(n.lower())}\s*[({{]", lower)]
        checks["no_action_name"] = not named
        if named:
            notes["action_names"] = named

        counts: dict = {}
        for g in ngrams(tokens, LOOP_NGRAM):
            counts[g] = counts.get(g, 0) + 1
        loops = [" ".join(g) for g, c in counts.items() if c >= LOOP_TIMES]
        player = words(line.text)
        parrot = bool(tokens) and (tokens == player or (len(player) >= 4 and contains_run(tokens, player))
                                   or any(contains_run(tokens, list(g)) for g in ngrams(player, PLAYER_ECHO_WORDS))
                                   or (sum(w in player for w in tokens) >= PARROT_SHARE * len(tokens)
                                       and any(contains_run(tokens, list(g)) for g in ngrams(player, PARROT_RUN))))
        again = bool(tokens) and tokens == words(previous)
        checks["no_loop"] = not loops and not parrot and not again
        if loops:
            notes["loops"] = loops
        if parrot:
            notes["parrot"] = "the player's line echoed"
        if again:
            notes["again"] = "the character's previous reply, word for word"

        leaked = []
        player_words = " ".join(words(said_by_player))
        for lore_id, keys in self.secrets.items():
            for key in keys:
                pattern = rf"\b{re.escape(key)}"
                if re.search(pattern, " ".join(tokens)) and not re.search(pattern, player_words):
                    leaked.append(f"{lore_id}: {key}")
        checks["no_secret"] = not leaked if self.secrets else None
        if leaked:
            notes["secrets"] = leaked

        calls = reply["actions"]
        for call in calls:
            schema = self.actions.get(call["name"])
            try:
                jsonschema.validate(call["arguments"], schema) if schema is not None else None
                call["valid"] = schema is not None
            except jsonschema.ValidationError as error:
                call["valid"] = False
                call["error"] = error.message
        checks["action_asked"] = checks["no_action_unasked"] = None
        if isinstance(line.expect, tuple):
            name, arguments = line.expect
            checks["action_asked"] = (len(calls) == 1 and calls[0]["name"] == name and calls[0]["valid"]
                                      and set(calls[0]["arguments"]) == set(arguments)
                                      and all(v is ANY or calls[0]["arguments"][k] == v for k, v in arguments.items()))
            reply["expected_action"] = {"name": name, "arguments": {k: ("<any>" if v is ANY else v) for k, v in arguments.items()}}
        elif line.expect is None:
            checks["no_action_unasked"] = not calls
        emotions = reply["emotions"]
        checks["emotion_on_card"] = bool(emotions) and all(e in self.card.emotions for e in emotions)
        reply["checks"] = checks
        if notes:
            reply["notes"] = notes
        return checks


# -- the server -----------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChildServer:
    """`worldsmith serve` on a free loopback port with its own temp data dir and keys."""

    def __init__(self, config: str | None, workdir: Path):
        self.port = free_port()
        self.key = "bench-editor-key-0001"
        env = {k: v for k, v in os.environ.items() if k != "WORLDSMITH_CONFIG"}
        env["WORLDSMITH_API_KEYS"] = f"editor:{self.key},admin:bench-admin-key-0001"
        env["PYTHONPATH"] = str(ROOT / "server")
        args = [sys.executable, "-m", "worldsmith.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                "--data-dir", str(workdir / "data"), "--log-level", "WARNING"]
        if config:
            args += ["--config", config]
        self.log = open(workdir / "server.log", "w+")
        self.process = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 600) -> float:
        started = time.monotonic()
        with grpc.insecure_channel(self.address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() - started < timeout:
                if self.process.poll() is not None:
                    self.log.seek(0)
                    raise SystemExit(f"the server exited with {self.process.returncode}:\n{self.log.read()[-3000:]}")
                try:
                    status = health.Check(health_pb2.HealthCheckRequest(service="worldsmith.v1.DialogueService"), timeout=2).status
                    if status == health_pb2.HealthCheckResponse.SERVING:
                        return time.monotonic() - started
                except grpc.RpcError:
                    pass
                time.sleep(0.5)
        raise SystemExit("the server's DialogueService did not become ready in time")

    def stop(self) -> None:
        stop(self.process)
        self.log.close()


# -- running the cases ----------------------------------------------------------------------------------------------
async def say(stub, metadata, session_id: str, text: str, seed: int, max_new_tokens: int) -> dict:
    reply = {"player": text, "seed": seed, "text": "", "emotions": [], "actions": []}
    started = time.perf_counter()
    first = None
    try:
        async for response in stub.Say(d.SayRequest(session_id=session_id, utterance=text,
                                                    options=d.GenerationOptions(seed=seed, max_new_tokens=max_new_tokens)),
                                       metadata=metadata):
            kind = response.WhichOneof("event")
            if kind == "text_delta":
                first = first or time.perf_counter()
                reply["text"] += response.text_delta.text
            elif kind == "emotion":
                reply["emotions"].append(response.emotion.emotion)
            elif kind == "action_call":
                call = response.action_call
                reply["actions"].append({"name": call.name, "arguments": json.loads(call.arguments_json or "{}")})
            elif kind == "turn_completed":
                done = response.turn_completed
                ended = time.perf_counter()
                reply["text"] = done.text or reply["text"]
                reply["completion_tokens"] = done.completion_tokens
                reply["prompt_tokens"] = done.prompt_tokens
                reply["ttft_ms"] = round(done.time_to_first_token_ms, 1)
                after_first = ended - (started + done.time_to_first_token_ms / 1000)
                reply["tokens_per_s"] = round(done.completion_tokens / after_first, 1) if after_first > 0 and done.completion_tokens else None
                reply["seconds"] = round(ended - started, 3)
    except grpc.aio.AioRpcError as error:
        reply["error"] = f"{error.code().name}: {error.details()}"
    reply["text"] = reply["text"].strip()
    return reply


async def run_case(stub, metadata, case: Case, number: int, judge: Judge, seed: int, max_new_tokens: int) -> dict:
    session = (await stub.CreateSession(d.CreateSessionRequest(character_ids=[case.character]), metadata=metadata)).session
    replies, said = [], ""
    for i, line in enumerate(case.lines):
        said += " " + line.text
        reply = await say(stub, metadata, session.id, line.text, seed + 100 * number + i, max_new_tokens)
        judge.judge(case, line, reply, said, replies[-1]["text"] if replies else "")
        replies.append(reply)
    return {"id": case.id, "character": case.character, "player_language": case.language, "note": case.note, "turns": replies}


async def run(address: str, key: str, cases: list[Case], cards, lore, judges, args) -> tuple[dict, list[dict]]:
    metadata = (("authorization", f"Bearer {key}"),)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
        try:
            info = await admin_pb2_grpc.AdminServiceStub(channel).GetServerInfo(admin_pb2.GetServerInfoRequest(), metadata=metadata)
        except grpc.aio.AioRpcError as error:
            info = None
            print(f"GetServerInfo: {error.code().name} ({error.details()}); the model is not named", file=sys.stderr)
        for card in cards:
            await stub.UpsertCharacter(d.UpsertCharacterRequest(character=card), metadata=metadata)
        await stub.UpsertLore(d.UpsertLoreRequest(entries=lore), metadata=metadata)
        # One turn to warm the model and the lore index; not counted.
        warm = (await stub.CreateSession(d.CreateSessionRequest(character_ids=[cards[0].id]), metadata=metadata)).session
        await say(stub, metadata, warm.id, "Hello.", 1, 8)
        limit = asyncio.Semaphore(args.concurrency)

        async def one(number: int, case: Case) -> dict:
            async with limit:
                result = await run_case(stub, metadata, case, number, judges[case.character], args.seed, args.max_new_tokens)
                if args.verbose:
                    for turn in result["turns"]:
                        failed = [c for c, ok in turn["checks"].items() if ok is False]
                        print(f"[{case.id}] {turn['player']!r} -> {turn['text']!r} {turn['emotions']} "
                              f"{turn['actions']} {'FAIL ' + ','.join(failed) if failed else ''}", file=sys.stderr)
                return result

        started = time.perf_counter()
        results = await asyncio.gather(*(one(n, case) for n, case in enumerate(cases)))
        seconds = time.perf_counter() - started
    model = {}
    if info is not None:
        dialogue = [m for m in info.models if m.kind == admin_pb2.MODEL_KIND_TEXT_GENERATOR]
        dialogue = sorted(dialogue, key=lambda m: m.name != "dialogue")
        if dialogue:
            m = dialogue[0]
            model = {"name": m.name, "source": m.source, "revision": m.revision, "engine": m.engine, "architecture": m.architecture,
                     "quantization": m.quantization, "dtype": m.dtype, "device": m.device, "sha256": m.sha256}
        model["server_version"] = info.version
        model["server_device"] = info.device
    return {"model": model, "seconds": round(seconds, 1)}, results


def summarise(results: list[dict]) -> dict:
    turns = [t for case in results for t in case["turns"]]
    summary = {}
    for check in CHECKS:
        judged = [t["checks"][check] for t in turns if t["checks"][check] is not None]
        summary[check] = {"passed": sum(judged), "total": len(judged), "rate": round(sum(judged) / len(judged), 3) if judged else None}
    ttft = sorted(t["ttft_ms"] for t in turns if "ttft_ms" in t)
    rates = sorted(t["tokens_per_s"] for t in turns if t.get("tokens_per_s"))

    def p90(values):
        return values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))] if values else None

    summary["ttft_ms"] = {"median": statistics.median(ttft) if ttft else None, "p90": p90(ttft)}
    summary["tokens_per_s"] = {"median": statistics.median(rates) if rates else None, "p90": p90(rates)}
    unlisted = [case for case in results if "not on the card" in case["note"]]
    summary["unlisted_language_replies"] = {
        "total": sum(len(c["turns"]) for c in unlisted),
        "in_card_language": sum(t["language"]["detected"] == t["language"]["expected"] for c in unlisted for t in c["turns"]),
        "in_player_language": sum(t["language"]["detected"] == c["player_language"] for c in unlisted for t in c["turns"]),
        "not_judged": sum(t["language"]["detected"] is None for c in unlisted for t in c["turns"]),
    }
    summary["by_character"] = {}
    for character in dict.fromkeys(case["character"] for case in results):
        mine = [t for case in results if case["character"] == character for t in case["turns"]]
        row = {}
        for check in CHECKS:
            judged = [t["checks"][check] for t in mine if t["checks"][check] is not None]
            row[check] = f"{sum(judged)}/{len(judged)}" if judged else "-"
        summary["by_character"][character] = row
    summary["errors"] = sum("error" in t for t in turns)
    summary["cases"], summary["replies"] = len(results), len(turns)
    return summary


def checkout() -> dict:
    """The commit the server code came from, and whether server/ had changes not committed yet."""
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    return {"commit": git("rev-parse", "--short", "HEAD"), "server_changes_not_committed": bool(git("status", "--porcelain", "server"))}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--address", help="HOST:PORT of a running server (else one is started)")
    parser.add_argument("--key", help="an editor (or admin) key for --address")
    parser.add_argument("--config", help="start the server with this config instead of the embedded defaults")
    parser.add_argument("--seed", type=int, default=7, help="base seed; each reply's seed is seed + 100 * case + line")
    parser.add_argument("--max-new-tokens", type=int, default=0, help="per reply (0: the server's dialogue.max_new_tokens)")
    parser.add_argument("--concurrency", type=int, default=1, help="cases run at once (1: times are one stream's)")
    parser.add_argument("--only", default="", help="run only cases whose id contains this")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--rejudge", metavar="JSON", help="judge the replies stored in an earlier run's JSON again (no server)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each reply as it comes")
    args = parser.parse_args()
    if args.address and not args.key:
        parser.error("--address needs --key")

    cards, lore = [], []
    for path in sorted(CARDS.glob("*.toml")):
        file_cards, file_lore = load_file(path)
        cards += file_cards
        lore += file_lore
    ids = {card.id for card in cards}
    cases = [case for case in CASES if args.only in case.id]
    missing = {case.character for case in cases} - ids
    if missing:
        raise SystemExit(f"no card for {sorted(missing)} in {CARDS}")

    detector = LanguageDetectorBuilder.from_languages(*LANGUAGES.values()).build()
    judges = {card.id: Judge(card, lore, detector) for card in cards}
    if args.rejudge:
        report = rejudge(json.loads(Path(args.rejudge).read_text()), judges)
    else:
        report = measure(args, cases, cards, lore, judges)
    print_report(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def measure(args, cases: list[Case], cards, lore, judges) -> dict:
    server, startup = None, None
    code = checkout()  # read before the server starts: other work may commit while it runs
    with tempfile.TemporaryDirectory(prefix="dialogue-quality-") as tmp:
        try:
            if args.address:
                address, key = args.address, args.key
            else:
                server = ChildServer(args.config, Path(tmp))
                startup = server.wait_ready()
                address, key = server.address, server.key
            run_info, results = asyncio.run(run(address, key, cases, cards, lore, judges, args))
        finally:
            if server is not None:
                server.stop()
    machine = {"cpu": cpu_name(), "cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
               "python": platform.python_version()}
    return {"model": run_info["model"], "machine": machine,
            "server": args.address or ("started: --config " + args.config if args.config else "started: embedded defaults"),
            "checkout": code,
            "server_startup_s": round(startup, 1) if startup else None, "run_seconds": run_info["seconds"],
            "settings": {"seed": args.seed, "max_new_tokens": args.max_new_tokens or "server default", "concurrency": args.concurrency},
            "criteria": criteria(), "summary": summarise(results), "cases": results}


def criteria() -> dict:
    return {"echo_words": ECHO_WORDS, "loop": f"a {LOOP_NGRAM}-gram {LOOP_TIMES}+ times",
            "player_echo": {"run_words": PLAYER_ECHO_WORDS, "share": PARROT_SHARE, "share_run_words": PARROT_RUN},
            "min_words_for_language": MIN_WORDS_FOR_LANGUAGE, "secret_key_words": SECRETS}


def rejudge(report: dict, judges: dict) -> dict:
    """The stored replies of an earlier run judged again by the current checks (no model involved)."""
    by_id = {case.id: case for case in CASES}
    for result in report["cases"]:
        case = by_id[result["id"]]
        said, previous = "", ""
        for line, turn in zip(case.lines, result["turns"]):
            for key in ("checks", "notes", "language", "expected_action"):
                turn.pop(key, None)
            said += " " + line.text
            judges[case.character].judge(case, line, turn, said, previous)
            previous = turn["text"]
    report["criteria"] = criteria()
    report["summary"] = summarise(report["cases"])
    return report


def print_report(report: dict) -> None:
    m, machine, summary = report["model"], report["machine"], report["summary"]
    startup = report.get("server_startup_s")
    print(f"\nModel: {m.get('source', '?')} ({m.get('architecture') or '?'}, {m.get('quantization') or m.get('dtype') or '?'}, "
          f"{m.get('engine') or '?'} on {m.get('device') or '?'})")
    print(f"CPU: {machine['cpu']} x{machine['cpus']}, load {machine['load_average']}")
    print(f"{summary['cases']} cases, {summary['replies']} replies in {report['run_seconds']} s"
          + (f" (server ready in {startup:.0f} s)" if startup else "") + f"; errors: {summary['errors']}\n")
    print(f"{'check':<20}{'passed':>8}{'total':>7}{'rate':>8}")
    for check in CHECKS:
        row = summary[check]
        rate = "-" if row["rate"] is None else f"{100 * row['rate']:.0f}%"
        print(f"{check:<20}{row['passed']:>8}{row['total']:>7}{rate:>8}")
    fmt = lambda v: "-" if v is None else f"{v:.0f}"  # noqa: E731
    print(f"\ntime to first token: median {fmt(summary['ttft_ms']['median'])} ms, p90 {fmt(summary['ttft_ms']['p90'])} ms")
    print(f"tokens/s per reply: median {fmt(summary['tokens_per_s']['median'])}, p90 {fmt(summary['tokens_per_s']['p90'])}")
    u = summary["unlisted_language_replies"]
    print(f"player language not on the card: of {u['total']} replies, {u['in_card_language']} in the card's language, "
          f"{u['in_player_language']} in the player's, {u['not_judged']} too short to tell")

if __name__ == "__main__":
    main()

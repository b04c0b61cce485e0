"""The studio in headless Chromium against a live server on tiny models, walked as a designer would."""

from __future__ import annotations

import io
import json

import grpc
import numpy as np
from PIL import Image

from harness import KEYS, REPO
from studio.conftest import ARTIFACTS, MAX_MESSAGE_BYTES, open_studio
from worldsmith._proto.worldsmith.v1 import dialogue_pb2, dialogue_pb2_grpc

GIVE_ITEM_SCHEMA = {
    "type": "object",
    "properties": {"item": {"enum": ["sword", "shield"]}, "count": {"type": "integer", "minimum": 1, "maximum": 3}},
    "required": ["item", "count"],
}
UTTERANCE = "Hand me a shield, please."
MAX_TOKENS = 24
FAILED_STATUS = "Failed to load resource: the server responded with a status of"
BACKGROUND = (32, 35, 41)  # the viewer's clear colour


def assert_rendered(page, canvas: str) -> None:
    """The WebGL canvas shows something lit and shaded, not just its background."""
    pixels = np.asarray(Image.open(io.BytesIO(page.locator(canvas).screenshot())).convert("RGB"), dtype=int).reshape(-1, 3)
    drawn = pixels[np.abs(pixels - BACKGROUND).sum(axis=1) > 24]
    assert len(drawn) > 0.05 * len(pixels), f"{canvas} is blank ({len(drawn)} of {len(pixels)} pixels drawn)"
    colours = len(np.unique(drawn, axis=0))
    assert colours > 50, f"{canvas} shows flat colour only ({colours} colours)"


def fill_card(page, card_id: str, schema: str) -> None:
    page.locator("#card-form [name=id]").fill(card_id)
    page.locator("#card-form [name=name]").fill("Ada")
    page.locator("#card-form [name=role]").fill("the garrison quartermaster")
    page.locator("#card-form [name=emotions]").fill("calm, wary, pleased")
    page.get_by_role("button", name="Add action").click()
    page.locator("[name=action-name]").fill("give_item")
    page.locator("[name=action-description]").fill("Hand the player an item.")
    page.locator("[name=action-schema]").fill(schema)
    page.locator("#save-character").click()


def first_acting_seed(grpc_port: int, card_id: str) -> int:
    """The first seed whose reply to UTTERANCE calls the action, in a fresh session like the studio's."""
    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
        key = (("authorization", f"Bearer {KEYS['editor']}"),)
        for seed in range(1, 49):
            session = stub.CreateSession(dialogue_pb2.CreateSessionRequest(player_id="designer", character_ids=[card_id]), metadata=key).session
            events = [r.WhichOneof("event") for r in stub.Say(dialogue_pb2.SayRequest(
                session_id=session.id, utterance=UTTERANCE, lane=1,
                options=dialogue_pb2.GenerationOptions(seed=seed, max_new_tokens=MAX_TOKENS)), metadata=key)]
            if "action_call" in events and events.count("text_delta") > 1:
                return seed
    raise AssertionError("no seed made the character act")


def test_wrong_key_shows_unauthenticated_and_asks_again(page, studio_server):
    open_studio(page, studio_server.url, key="not-a-key")
    dialog = page.locator("#key-dialog")
    page.wait_for_function("document.getElementById('key-dialog').open && /unauthenticated/.test(document.getElementById('key-message').textContent)")
    assert "unauthenticated" in dialog.inner_text()
    page.locator("#key-input").fill(KEYS["editor"])
    page.locator("#key-form button").click()
    page.locator("#card-form").wait_for()
    assert not dialog.is_visible()
    assert page.evaluate("sessionStorage.getItem('worldsmith.key')") == KEYS["editor"]
    assert KEYS["editor"] not in page.url
    assert [e for e in page.errors if not e.startswith(FAILED_STATUS)] == []


def test_bad_schema_is_shown_at_its_field(page, studio_server):
    open_studio(page, studio_server.url)
    fill_card(page, "broken_schema", '{"type": "array"}')
    error = page.locator('[data-error-for="character.actions[0].arguments_schema_json"]')
    error.filter(has_text="object schema").wait_for()
    assert "must be an object schema" in error.inner_text()
    assert "invalid" in page.locator("[name=action-schema]").get_attribute("class")
    assert page.locator("#card-message").inner_text() == ""  # nothing left over for the form-wide line
    assert [e for e in page.errors if not e.startswith(FAILED_STATUS)] == []


def test_character_with_an_action_then_a_streamed_chat_with_an_answered_call(page, studio_server, tmp_path):
    open_studio(page, studio_server.url)
    fill_card(page, "quartermaster", json.dumps(GIVE_ITEM_SCHEMA))
    page.locator("#saved-note").filter(has_text="Created quartermaster").wait_for()
    page.locator("#character-list li", has_text="Ada").wait_for()  # the list shows the stored card
    seed = first_acting_seed(studio_server.port, "quartermaster")

    page.goto(f"{studio_server.url}#play")
    page.locator("#play-character option[value=quartermaster]").wait_for(state="attached")
    page.locator("#play-seed").fill(str(seed))
    page.locator("#play-max-tokens").fill(str(MAX_TOKENS))
    page.locator("#new-session").click()
    page.locator("#session-id", has_text="Session").wait_for()
    # Record every length the reply's text takes: a streamed reply grows in steps.
    page.evaluate("""() => { window.replyLengths = [];
        new MutationObserver(() => { const t = document.querySelector('.reply-text'); if (t) window.replyLengths.push(t.textContent.length); })
          .observe(document.getElementById('chat'), {subtree: true, childList: true, characterData: true}); }""")
    page.locator("#utterance").fill(UTTERANCE)
    page.locator("#send").click()
    page.locator(".bubble.npc[data-done]").wait_for()
    lengths = page.evaluate("window.replyLengths")
    assert len(set(length for length in lengths if length)) > 1, f"the reply arrived in one piece: {lengths}"
    call = page.locator(".action-call")
    assert "give_item" in call.inner_text()
    arguments = json.loads(call.locator("code").inner_text())
    assert arguments["item"] in ("sword", "shield") and 1 <= arguments["count"] <= 3
    page.locator("#history li").nth(1).wait_for()  # player and character turns are in the session's memory

    call.locator(".answer-result").fill('{"given": true}')
    call.locator(".answer").click()
    page.locator("#history", has_text="The game reports that give_item").wait_for()  # stored once the turn ends
    history = page.locator("#history").inner_text()
    assert "The game reports that give_item" in history and "succeeded" in history

    # The session leaves as a file and comes back from it with its history.
    with page.expect_download() as download:
        page.locator("#export-session").click()
    saved = tmp_path / "session.bin"
    download.value.save_as(saved)
    page.locator("#new-session").click()
    page.locator("#history li").first.wait_for(state="detached")
    # Imported while another character is picked: the picker follows the session, so the next line reaches it.
    with grpc.insecure_channel(f"127.0.0.1:{studio_server.port}") as channel:
        dialogue_pb2_grpc.DialogueServiceStub(channel).UpsertCharacter(dialogue_pb2.UpsertCharacterRequest(
            character=dialogue_pb2.Character(id="scribe", name="Wen")), metadata=(("authorization", f"Bearer {KEYS['editor']}"),))
    page.reload()
    page.locator("#play-character option[value=scribe]").wait_for(state="attached")
    page.locator("#play-character").select_option("scribe")
    page.locator("#session-import").set_input_files(str(saved))
    page.locator("#history li").nth(3).wait_for()
    assert page.locator("#history").inner_text() == history
    assert page.locator("#play-character").input_value() == "quartermaster"
    page.locator("#utterance").fill("And a shield?")
    page.locator("#send").click()
    page.locator("#history li").nth(5).wait_for()
    assert page.errors == []


def test_procedural_texture_progress_reaches_the_end_and_the_sphere_renders(page, studio_server):
    open_studio(page, studio_server.url, where="textures")
    page.locator("#texture-model option[value=procedural]").wait_for(state="attached")
    page.locator("#texture-model").select_option("procedural")
    page.locator("#texture-size").fill("128")
    page.locator("#texture-seed").fill("7")
    page.locator("#generate-texture").click()
    page.locator("#texture-progress-text", has_text="Done").wait_for()
    assert page.evaluate("(() => { const bar = document.getElementById('texture-progress'); return bar.value === bar.max; })()")
    assert page.locator("#seam-scores tr").count() >= 2
    page.wait_for_timeout(500)  # the maps decode, then the next frame shows them
    assert_rendered(page, "#texture-canvas")
    page.locator("#texture-tiling").check()
    assert_rendered(page, "#texture-canvas")
    assert page.errors == []


def test_an_oversized_upload_is_refused_before_it_is_sent(page, studio_server):
    open_studio(page, studio_server.url, where="textures")
    page.locator("#texture-init").set_input_files(files=[{"name": "huge.png", "mimeType": "image/png", "buffer": b"\0" * (MAX_MESSAGE_BYTES + 1)}])
    requests = []
    page.on("request", lambda request: requests.append(request.url) if "GenerateTexture" in request.url else None)
    page.locator("#generate-texture").click()
    page.locator("#texture-status", has_text="at most").wait_for()
    assert f"reads at most {MAX_MESSAGE_BYTES} bytes" in page.locator("#texture-status").inner_text()
    assert requests == []
    assert page.errors == []


def test_a_scene_and_an_avatar_render_in_webgl(page, studio_server):
    open_studio(page, studio_server.url, where="scenes")
    page.locator("#generate-scene").click()
    page.locator("#scene-nodes tr").nth(2).wait_for()
    page.wait_for_timeout(300)
    assert_rendered(page, "#scene-canvas")
    assert "objects placed" in page.locator("#quality-report").inner_text()
    page.screenshot(path=ARTIFACTS / "scene.png", full_page=True)

    page.goto(f"{studio_server.url}#avatars")
    page.locator("#avatar-texture-size").fill("256")
    page.locator("#generate-avatar").click()
    page.locator("#bones li").first.wait_for(timeout=90_000)
    page.wait_for_timeout(300)
    assert_rendered(page, "#avatar-canvas")
    shapes = page.locator("#blend-shapes input")
    assert shapes.count() > 0
    assert page.locator("#avatar-lod option").count() >= 2
    assert page.errors == []


def test_every_page_loads_without_console_errors(page, studio_server):
    open_studio(page, studio_server.url)
    for name in ("characters", "lore", "play", "textures", "scenes", "avatars", "jobs"):
        page.locator(f'nav a[data-page="{name}"]').click()
        page.locator(f'nav a.active[data-page="{name}"]').wait_for()
        page.wait_for_load_state("networkidle")
        assert page.locator("#page").inner_text().strip(), f"the {name} page is empty"
    assert page.errors == []


def test_a_card_file_imports_and_exports_in_the_importers_shapes(page, studio_server, tmp_path):
    from worldsmith.dialogue.card_files import load_file

    open_studio(page, studio_server.url)
    page.locator("#import-file").set_input_files(str(REPO / "examples" / "game" / "characters" / "bram.toml"))
    page.locator("#character-list li", has_text="Bram").wait_for()
    assert page.locator("#card-form [name=id]").input_value() == "bram"
    assert page.locator("[name=action-name]").first.input_value() == "give_item"
    page.locator("#card-form [name=role]").fill("the smith of Oakvale")
    for button, suffix in (("Export TOML", ".toml"), ("Export JSON", ".json")):
        with page.expect_download() as download:
            page.get_by_role("button", name=button).click()
        path = tmp_path / f"bram{suffix}"
        download.value.save_as(path)
        (card,), _ = load_file(path)  # what `worldsmith characters import` reads
        assert (card.id, card.role, card.languages) == ("bram", "the smith of Oakvale", ["de"])
        assert [action.name for action in card.actions] == ["give_item", "open_shop"]
        assert json.loads(card.actions[0].arguments_schema_json)["required"] == ["item", "count"]
    page.goto(f"{studio_server.url}#lore")
    page.locator("#lore-list li", has_text="The old mine").wait_for()  # the file's lore came along
    assert page.errors == []


def test_lore_entries_keep_their_tags_and_visibility(page, studio_server):
    open_studio(page, studio_server.url, where="lore")
    form = page.locator("#lore-form")
    form.locator("[name=id]").fill("guild-secret")
    form.locator("[name=title]").fill("The guild's vault")
    form.locator("[name=text]").fill("The vault key hangs behind the guildmaster's portrait.")
    form.locator("[name=tags]").fill("guild, oakvale")
    form.locator("[name=visibility]").select_option("FACTION")
    form.locator("[name=faction]").fill("thieves")
    form.get_by_role("button", name="Save").click()
    entry = page.locator("#lore-list li", has_text="The guild's vault")
    entry.wait_for()
    assert "guild, oakvale" in entry.inner_text() and "faction" in entry.inner_text()
    assert page.errors == []


def test_a_lost_connection_is_reported_and_the_call_retried(page, studio_server):
    open_studio(page, studio_server.url)
    page.locator("#card-form").wait_for()
    page.route("**/*", lambda route: route.abort())  # the server is gone
    page.locator('nav a[data-page="lore"]').click()
    page.locator("#banner", has_text="Connection to the server lost").wait_for()
    page.unroute("**/*")
    page.locator("#banner").wait_for(state="hidden", timeout=10_000)
    page.locator("#lore-form").wait_for()
    assert page.locator("#page .error").all_inner_texts() == ["", ""]  # the list call ran again, no error left
    assert [e for e in page.errors if "ERR_FAILED" not in e] == []


def test_a_running_generation_is_listed_by_lane_and_cancelled(page, studio_server):
    open_studio(page, studio_server.url, where="textures")
    page.locator("#texture-size").fill("512")
    page.locator("#texture-steps").fill("100")  # the tiny diffusion model's most: long enough to cancel
    page.locator("#texture-preview-every").fill("0")
    page.locator("#generate-texture").click()
    page.locator("#texture-progress-text", has_text="step").wait_for()
    page.locator('nav a[data-page="jobs"]').click()
    job = page.locator("#jobs .job", has_text="Texture: mossy cobblestone")
    job.wait_for()
    tab_panel = page.locator("#jobs .panel", has=page.locator(".job", has_text="Texture: mossy cobblestone"))
    assert "interactive lane" in tab_panel.inner_text()
    # The server lists the same work, with its progress, its engine and the key that asked for it.
    on_server = page.locator("#server-jobs .server-job", has_text="GenerateTexture")
    on_server.wait_for()
    server_panel = page.locator("#server-jobs .panel", has=page.locator(".server-job", has_text="GenerateTexture"))
    assert "interactive lane" in server_panel.inner_text()
    assert "running" in on_server.inner_text() and "textures · key " in on_server.inner_text()
    page.screenshot(path=ARTIFACTS / "jobs.png")
    on_server.get_by_role("button", name="Cancel").click()  # the server stops it; the tab's call ends with it
    on_server.wait_for(state="detached")
    job.wait_for(state="detached")
    assert page.locator("#jobs").inner_text().count("nothing running") == 3
    assert page.errors == []


def test_a_spoken_reply_plays_and_moves_the_avatars_mouth(page, studio_server):
    with grpc.insecure_channel(f"127.0.0.1:{studio_server.port}") as channel:
        dialogue_pb2_grpc.DialogueServiceStub(channel).UpsertCharacter(dialogue_pb2.UpsertCharacterRequest(
            character=dialogue_pb2.Character(id="herald", name="Orin", role="the town herald")), metadata=(("authorization", f"Bearer {KEYS['editor']}"),))
    open_studio(page, studio_server.url, where="avatars")
    page.locator("#generate-avatar").click()
    page.locator("#bones li").first.wait_for(timeout=90_000)
    page.locator('nav a[data-page="play"]').click()
    page.locator("#play-character option[value=herald]").wait_for(state="attached")
    page.locator("#play-character").select_option("herald")
    page.locator("#play-max-tokens").fill("16")
    page.locator("#play-speak").check()
    page.locator("#play-face").wait_for()
    page.locator("#utterance").fill("What news today?")
    page.locator("#send").click()
    page.locator(".bubble.npc[data-done]").wait_for()
    reply = page.locator(".bubble.npc")
    assert int(reply.get_attribute("data-audio-chunks")) > 0 and int(reply.get_attribute("data-visemes")) > 0
    page.wait_for_function("/viseme_/.test(document.getElementById('play-face').dataset.mouth)", timeout=10_000)
    assert_rendered(page, "#play-face")
    assert page.errors == []

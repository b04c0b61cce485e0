"""What a player heard of a spoken turn, from how many ms of its audio were played."""

from __future__ import annotations

from worldsmith.dialogue.spoken import SpokenSentence, SpokenTrack

# "Aye, I can mend that." then "Come back at sundown." as the voice timed them (ms in the turn's audio).
TRACK = SpokenTrack([
    SpokenSentence(0, "Aye, I can mend that.", 0.0, 1500.0, (300.0, 450.0, 700.0, 1000.0, 1300.0)),
    SpokenSentence(0, "Come back at sundown.", 1500.0, 3000.0, (1800.0, 2100.0, 2300.0, 2800.0)),
])


def test_nothing_played_is_nothing_heard():
    assert TRACK.heard(0) == {}


def test_a_word_counts_once_its_sound_has_ended():
    assert TRACK.heard(699) == {0: "Aye, I"}
    assert TRACK.heard(700) == {0: "Aye, I can"}


def test_whole_sentences_then_the_words_of_the_one_playing():
    assert TRACK.heard(1500) == {0: "Aye, I can mend that."}
    assert TRACK.heard(2150) == {0: "Aye, I can mend that. Come back"}
    assert TRACK.heard(60_000) == {0: "Aye, I can mend that. Come back at sundown."}


def test_utterances_are_kept_apart():
    track = SpokenTrack([SpokenSentence(0, "Here.", 0.0, 500.0, (400.0,)),
                         SpokenSentence(1, "Mind the edge.", 500.0, 1500.0, (800.0, 1000.0, 1400.0))])
    assert track.heard(1100) == {0: "Here.", 1: "Mind the"}


def test_a_number_read_as_several_words_counts_its_share_of_the_written_ones():
    # "It costs 1,250 coins." is read as seven words: it costs one thousand two hundred fifty coins.
    sentence = SpokenSentence(0, "It costs 1,250 coins.", 0.0, 2000.0, (200.0, 500.0, 800.0, 1100.0, 1300.0, 1600.0, 1900.0))
    assert sentence.heard(600) == "It"  # 2 of 7 spoken words: 1 of the 4 written
    assert sentence.heard(1400) == "It costs"  # 5 of 7: the number is not heard until all of it is

"""CallContext cancel callbacks: what a waiter (a remote stream) relies on instead of polling."""

import threading
import time

from worldsmith.runtime.context import CallContext


def test_a_cancel_calls_each_registered_callback_once():
    ctx, calls = CallContext(), []
    ctx.on_cancel(lambda: calls.append("first"))
    ctx.on_cancel(lambda: calls.append("second"))
    ctx.cancel()
    ctx.cancel()
    assert calls == ["first", "second"] and ctx.is_cancelled


def test_a_callback_registered_after_the_cancel_runs_at_once():
    ctx, calls = CallContext(), []
    ctx.cancel()
    ctx.on_cancel(lambda: calls.append("late"))
    assert calls == ["late"]


def test_a_forgotten_callback_is_not_called():
    ctx, calls = CallContext(), []
    forget = ctx.on_cancel(lambda: calls.append("gone"))
    forget()
    ctx.cancel()
    assert calls == []


def test_a_passed_deadline_found_by_check_calls_the_callbacks():
    ctx, calls = CallContext.with_timeout(0.0), []
    ctx.on_cancel(lambda: calls.append("deadline"))
    time.sleep(0.001)
    assert ctx.should_stop()
    assert calls == ["deadline"]


def test_a_cancel_from_another_thread_reaches_the_callback():
    ctx, reached = CallContext(), threading.Event()
    ctx.on_cancel(reached.set)
    threading.Thread(target=ctx.cancel).start()
    assert reached.wait(5)

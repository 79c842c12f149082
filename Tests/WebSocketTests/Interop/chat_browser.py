#!/usr/bin/env python3
"""The chat page in a real headless browser: Chromium driven by Selenium.

    python3 chat_browser.py --url http://127.0.0.1:PORT/ --screenshot PATH [--page-screenshot PATH]

Two browser sessions, each with its own profile (so its own localStorage), open the page
served at --url:

1. both pick a name; Alice creates a room with the `assistant` agent (the page adds
   `support` as a specialist), Bob joins it from the room list, and each sees the other in
   the members list;
2. Alice types "What's the weather in Paris?": Bob sees "Alice is typing…"; she sends it;
3. both see her message, the agent's answer streaming into a bubble (partial text seen
   before the final message, fed by more than one chunk), the `get_weather` tool call with
   its output, then the final answer shown once, the same text on both sides;
4. Alice asks again, and her page shows the answer growing as a person sees it: polled from
   the test, the streaming bubble shows several partial texts, each the start of the final
   answer, before the complete one (needs a model that streams at a person's pace, as
   `raaf-streaming serve` does by default); with --page-screenshot, her window is saved
   there while the answer streams. Unless --skip-reconnect, Bob's connection is cut at the
   first chunk of that answer; his page must reconnect by itself, join the room again, and
   end with exactly the messages Alice has (no duplicate, no left-over bubble); with
   --require-resume the answer must still have been streaming when he was back, so that he
   picked it up from `room_joined.streaming` (needs a server that streams slowly enough);
5. what the README says to try: "Transfer me to support" hands the room to support, which
   answers on both pages; Alice presses Stop on the next answer while it streams, and both
   pages end with the text it had reached, marked stopped;
6. Bob types without sending and Alice sees it; Alice's window is then made phone-sized
   (375×667, scale 2) and checked for usability (nothing wider than the screen, composer
   on screen, members list folded away), and the screenshot is saved to --screenshot.

The browser consoles must stay free of errors (a violation of the page's content security
policy would show there). Every wait has a deadline (--timeout); nothing sleeps blindly.

Exit status: 0 when all of it was seen; 1 with the reason on stderr otherwise (screenshots
of both windows are saved next to --screenshot as *-failure-*.png); 77 with the reason on
stderr when Selenium, Chromium or chromedriver are not available here.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid

from chat_page import (
    PHONE_LAYOUT, READ_PROBE, STREAM_PROBE, Browser, Failure, agent_answers, check_grew, click_stop, conversation,
    in_room, load_selenium, phone_problems, pick_name, say, selenium_select, start_browser, tid, wait_answers,
    watch_answer,
)

SKIPPED = 77
QUESTION = "What's the weather in Paris?"
FOLLOW_UP = "Tell me about streaming, please."
HANDOFF = "Transfer me to support"
STOPPED = "Tell me about streaming once more"


def skip(reason):
    print(f"chat_browser: skipped: {reason}", file=sys.stderr)
    sys.exit(SKIPPED)


def run(args, selenium, chromium, chromedriver, workdir):
    pages = []
    try:
        for label in ("Alice", "Bob"):
            profile = os.path.join(workdir, f"profile-{label}")
            try:
                driver = start_browser(selenium, chromium, chromedriver, profile, os.path.join(workdir, f"chromedriver-{label}.log"))
            except selenium["WebDriverException"] as error:
                skip(f"Chromium could not be started through {chromedriver}: {str(error.msg or error).splitlines()[0]}")
            pages.append(Browser(label, driver, args.timeout, selenium))
        alice, bob = pages
        try:
            scenario(args, alice, bob)
        except Exception:
            for page in pages:
                path = failure_path(args.screenshot, page.label)
                try:
                    page.driver.save_screenshot(path)
                    print(f"chat_browser: {page.label}'s window at the failure: {path}", file=sys.stderr)
                except Exception:
                    pass
                for line in page.console_errors()[-20:]:
                    print(f"chat_browser: {page.label}'s console: {line}", file=sys.stderr)
            raise
    finally:
        for page in pages:
            try:
                page.driver.quit()
            except Exception:
                pass


def failure_path(screenshot, label):
    stem, extension = os.path.splitext(screenshot)
    return f"{stem}-failure-{label}{extension or '.png'}"


def scenario(args, alice, bob):
    room = f"page-test-{uuid.uuid4().hex[:6]}"
    for page in (alice, bob):
        page.driver.get(args.url)
        page.wait(f"chat page at {args.url} (its script did not run: is the server serving the page?)",
                  lambda p: p.js("return typeof window.raafChat === 'object'"))
    for page in (alice, bob):
        pick_name(page, page.label)
    say("both sessions picked a name and are online")

    # 1. Alice creates the room, Bob joins it from the list.
    alice.find(tid("room-name-input")).send_keys(room)
    selenium_select(alice, tid("agent-select"), "assistant")
    alice.find(tid("create-room")).click()
    in_room(alice, room)
    alice.wait("support added to the room, so the assistant can hand over",
               lambda p: p.js("return window.raafChat.snapshot().specialists") == ["assistant", "support"])

    join = tid("join-room", f'[data-room="{room}"]')

    refreshed = [time.monotonic()]

    def join_button(page):
        buttons = page.find_all(join)
        if buttons:
            return buttons[0]
        if time.monotonic() - refreshed[0] >= 1:  # the list also refreshes by itself, every 10 s
            refreshed[0] = time.monotonic()
            page.find(tid("refresh-rooms")).click()
        return None
    bob.wait(f"join button for {room!r} in the room list", join_button).click()
    in_room(bob, room)
    for page, other in ((alice, "Bob"), (bob, "Alice")):
        page.wait(f"{other} in the members list", lambda p: p.find_all(tid("member-list") + f' [data-testid="member"][data-user="{other}"]'))
    say(f"Alice created {room!r} with the assistant, Bob joined it; each sees the other")

    # 2. Alice types: Bob sees it.
    for page in (alice, bob):
        page.js(STREAM_PROBE, False)
    box = alice.find(tid("message-input"))
    box.send_keys(QUESTION)
    bob.wait("“Alice is typing…”", lambda p: "Alice is typing" in p.typing_text())
    say("Bob saw “Alice is typing…”")
    alice.find(tid("send-button")).click()
    bob.wait("typing indicator cleared after the message", lambda p: p.find(tid("typing-indicator")).get_attribute("data-active") == "false")

    # 3. The question and the streamed answer, on both sides.
    answers = {}
    for page in (alice, bob):
        messages = wait_answers(page, 1, "agent answer")
        asked = [m for m in messages if m["sender"] == "user" and m["text"] == QUESTION]
        if len(asked) != 1 or asked[0]["user"] != "Alice":
            raise Failure(f"{page.label}: Alice's question is not shown once: {conversation(messages)}")
        if asked[0]["mine"] != (page is alice):
            raise Failure(f"{page.label}: Alice's question is {'not ' if page is alice else ''}shown as the reader's own")
        answer = agent_answers(messages)[-1]
        if answer["user"] != "assistant" or not answer["text"].strip():
            raise Failure(f"{page.label}: the final answer is {answer}")
        probe = page.js(READ_PROBE)
        if not probe["partial"]:
            raise Failure(f"{page.label}: no streaming bubble with text was seen before the final answer")
        if answer["chunks"] < 2 or len(probe["partial"]) >= len(answer["text"]):
            raise Failure(f"{page.label}: the answer did not stream token by token (chunks {answer['chunks']}, "
                          f"first partial text {probe['partial']!r}, final {answer['text']!r})")
        weather = [t for t in answer["tools"] if t["name"] == "get_weather"]
        if not weather or weather[0]["state"] != "done":
            raise Failure(f"{page.label}: the get_weather tool call is not shown with its output: {answer['tools']}")
        answers[page.label] = messages
        say(f"{page.label} saw the question, the answer streaming ({answer['chunks']} chunks, first {probe['partial']!r}), "
            f"the tool call {weather[0]['text']!r} and the final answer")
    if conversation(answers["Alice"]) != conversation(answers["Bob"]):
        raise Failure(f"the two sessions show different conversations:\n  Alice {conversation(answers['Alice'])}\n  Bob   {conversation(answers['Bob'])}")

    # 4. Alice asks again and watches the answer grow; Bob's connection is cut while it streams.
    alice.js(STREAM_PROBE, False)
    bob.js(STREAM_PROBE, not args.skip_reconnect)
    alice.find(tid("message-input")).send_keys(FOLLOW_UP)
    alice.find(tid("send-button")).click()
    seen = watch_answer(alice, 2, args.page_screenshot)
    growing = wait_answers(alice, 2, "second agent answer")
    check_grew(alice, seen, agent_answers(growing)[-1]["text"])
    say(f"Alice saw the answer grow on screen: {len(seen)} partial texts before the final one, "
        f"first {seen[0]!r}")
    if not args.skip_reconnect:
        bob.wait("cut at the first chunk of the answer", lambda p: p.js(READ_PROBE)["dropped"])
        bob.wait("reconnect (status online, room joined again)",
                 lambda p: p.status() == "online" and p.js("return window.raafChat.snapshot().joined"))
        alice_messages = wait_answers(alice, 2, "second agent answer")
        bob_messages = wait_answers(bob, 2, "second agent answer after the reconnect")
        if conversation(alice_messages) != conversation(bob_messages):
            raise Failure("after Bob's reconnect the sessions differ:\n"
                          f"  Alice {conversation(alice_messages)}\n  Bob   {conversation(bob_messages)}")
        resumes = bob.js("return window.raafChat.snapshot().resumes")
        probe = bob.js(READ_PROBE)
        final = agent_answers(bob_messages)[-1]["text"]
        if resumes:
            if not final.startswith(probe["last"]):
                raise Failure(f"Bob: the resumed answer showed {probe['last']!r}, which the final answer {final!r} does not start with")
            say("Bob's connection was cut mid-answer; he reconnected, picked the answer up from room_joined.streaming, "
                "and ends with the same messages as Alice, each once")
        elif args.require_resume:
            raise Failure("Bob reconnected after the answer had ended: nothing was resumed (is the server streaming too fast?)")
        else:
            say("Bob's connection was cut mid-answer; he reconnected after it ended and has the final answer from the "
                "history, the same messages as Alice, each once")

    # 5. What the README says to try: a handoff, then stopping an answer.
    for page in (alice, bob):
        page.js(STREAM_PROBE, False)
    alice.find(tid("message-input")).send_keys(HANDOFF)
    alice.find(tid("send-button")).click()
    for page in (alice, bob):
        answer = agent_answers(wait_answers(page, 3, "the answer after the handoff"))[-1]
        if answer["user"] != "support" or "this is support" not in answer["text"]:
            raise Failure(f"{page.label}: the assistant did not hand the room to support: {answer}")
    alice.wait("the room's agent is support", lambda p: p.js("return window.raafChat.snapshot().agent") == "support")
    say("“transfer me to support” handed the room to support on both pages, and support answered")

    alice.find(tid("message-input")).send_keys(STOPPED)
    alice.find(tid("send-button")).click()
    shown = click_stop(alice)
    for page in (alice, bob):
        answer = agent_answers(wait_answers(page, 4, "the stopped answer"))[-1]
        if "stopped" not in answer["tags"] or answer["text"].endswith("✓") or not answer["text"].startswith(shown):
            raise Failure(f"{page.label}: Stop did not end the answer where it was (Stop pressed at {shown!r}): {answer}")
    say(f"Stop ended the answer where it was, marked stopped on both pages ({len(shown)} characters shown at the click)")

    # 6. Bob types; Alice, phone-sized, sees it; the screenshot.
    bob.find(tid("message-input")).send_keys("Thanks, that helps")
    alice.wait("“Bob is typing…”", lambda p: "Bob is typing" in p.typing_text())
    alice.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 375, "height": 667, "deviceScaleFactor": 2, "mobile": True})
    alice.wait("phone-sized viewport", lambda p: p.js("return innerWidth") == 375)
    alice.js('const list = document.querySelector(\'[data-testid="message-list"]\'); list.scrollTop = list.scrollHeight;')
    # The layout settles after the resize (the members drawer slides away): wait for it.
    problems = []

    def usable(page):
        problems[:] = phone_problems(page.js(PHONE_LAYOUT))
        return not problems
    try:
        alice.wait("usable phone layout", usable, timeout=5)
    except Failure:
        raise Failure("Alice's page at 375×667: " + "; ".join(problems)) from None
    alice.wait("screenshot", lambda p: p.driver.save_screenshot(args.screenshot))
    say(f"phone-sized (375×667) screenshot of Alice's window: {args.screenshot}")

    for page in (alice, bob):
        errors = page.console_errors()
        if errors:
            raise Failure(f"{page.label}'s console has errors:\n  " + "\n  ".join(errors))


def main():
    parser = argparse.ArgumentParser(description="The chat page in headless Chromium, two sessions in one room.")
    parser.add_argument("--url", required=True, help="the page, e.g. http://127.0.0.1:8080/")
    parser.add_argument("--screenshot", required=True, help="where to save the phone-sized screenshot (PNG)")
    parser.add_argument("--page-screenshot", help="where to save Alice's window (1280×900) while an answer streams (PNG)")
    parser.add_argument("--timeout", type=float, default=20, help="deadline of each wait, in seconds")
    parser.add_argument("--chromium", help="the browser (default: chromium on PATH or /usr/bin/chromium)")
    parser.add_argument("--chromedriver", help="the driver (default: chromedriver on PATH or /usr/bin/chromedriver)")
    parser.add_argument("--skip-reconnect", action="store_true", help="leave out the cut connection and its recovery")
    parser.add_argument("--require-resume", action="store_true",
                        help="fail unless the cut connection picked up an answer still streaming")
    args = parser.parse_args()

    selenium, chromium, chromedriver = load_selenium(skip, args.chromium, args.chromedriver)
    for path in filter(None, (args.screenshot, args.page_screenshot)):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="chat-browser-")
    try:
        run(args, selenium, chromium, chromedriver, workdir)
    except Failure as failure:
        print(f"chat_browser: FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
    except selenium["WebDriverException"] as error:
        print(f"chat_browser: FAILED: the browser reported: {str(error.msg or error).strip()}", file=sys.stderr)
        sys.exit(1)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    say(f"passed in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()

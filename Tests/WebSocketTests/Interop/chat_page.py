"""The chat page as the browser test sees it: the scripts it runs in the page, a Browser
session that waits with deadlines, and the readings of the page (messages, the answer as
it streams, the phone layout) with the checks made on them, and the loading of Selenium and
the browser. Used by chat_browser.py, chat_restart.py, chat_failover.py and cross_origin_browser.py.
"""
import os
import shutil


class Failure(Exception):
    """Something the page should have done and did not."""


def say(text):
    print(f"chat_browser: {text}", flush=True)


def tid(name, extra=""):
    return f'[data-testid="{name}"]{extra}'


def first_executable(*candidates):
    for candidate in candidates:
        if not candidate:
            continue
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def load_selenium(skip, chromium=None, chromedriver=None):
    """Selenium's classes (a dict, as `Browser` and `start_browser` take them), the browser and its
    driver: `chromium` and `chromedriver` when given, else found on PATH or in /usr/bin. Calls
    `skip(reason)`, which must exit, when any is missing. Sets the environment for a loopback-only
    run: no proxy, and no Selenium Manager looking for drivers online."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import TimeoutException, WebDriverException
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError as error:
        skip(f"Selenium is not installed ({error}): pip install selenium==4.51.0")
    browser = first_executable(*([chromium] if chromium else ["chromium", "/usr/bin/chromium", "chromium-browser"]))
    if not browser:
        skip(f"no Chromium at {chromium}" if chromium else "no Chromium (Debian: apt-get install chromium)")
    driver = first_executable(*([chromedriver] if chromedriver else ["chromedriver", "/usr/bin/chromedriver"]))
    if not driver:
        skip(f"no chromedriver at {chromedriver}" if chromedriver else "no chromedriver (Debian: apt-get install chromium-driver)")
    selenium = {
        "webdriver": webdriver, "Options": Options, "Service": Service, "By": By, "WebDriverWait": WebDriverWait,
        "TimeoutException": TimeoutException, "WebDriverException": WebDriverException,
    }
    # Loopback only: no proxy between the driver, the browser and the server.
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    # Selenium Manager would look for drivers online; the paths above are all it needs.
    os.environ.setdefault("SE_OFFLINE", "true")
    return selenium, browser, driver


# Installed in a page before an answer is expected: remembers what the streaming bubbles
# showed, since a fast server may finish an answer between two polls of the test.
STREAM_PROBE = """
const list = document.querySelector('[data-testid="message-list"]');
const probe = window.__streamProbe = { partial: '', last: '', chunks: 0, bubbles: new Set(), dropAt: arguments[0], dropped: false };
const look = () => {
  for (const bubble of list.querySelectorAll('[data-testid="streaming-bubble"]')) {
    probe.bubbles.add(bubble.dataset.stream);
    const text = bubble.querySelector('[data-testid="message-text"]').textContent;
    if (text && !probe.partial) probe.partial = text;
    if (text) probe.last = text;
    probe.chunks = Math.max(probe.chunks, Number(bubble.dataset.chunks || 0));
    if (probe.dropAt && !probe.dropped && text) { probe.dropped = true; window.raafChat.dropConnection(); }
  }
};
if (window.__streamObserver) window.__streamObserver.disconnect();
window.__streamObserver = new MutationObserver(look);
window.__streamObserver.observe(list, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['data-chunks'] });
look();
"""


# What a person sees of the answer now: a streaming bubble and its text, and how many answers are final.
ON_SCREEN = """
const bubble = document.querySelector('[data-testid="message-list"] [data-testid="streaming-bubble"]');
const text = bubble ? bubble.querySelector('[data-testid="message-text"]').textContent : '';
return { streaming: !!bubble, text, answers: document.querySelectorAll('[data-testid="message-list"] [data-testid="message"][data-sender="agent"]').length };
"""


# The partial text at which --page-screenshot is taken: enough to show the answer streaming.
SCREENSHOT_AT = 120


READ_PROBE = "const p = window.__streamProbe; return { partial: p.partial, last: p.last, chunks: p.chunks, bubbles: p.bubbles.size, dropped: p.dropped };"


MESSAGES = """
return [...document.querySelectorAll('[data-testid="message-list"] [data-testid="message"]')].map((el) => ({
  seq: Number(el.dataset.seq), sender: el.dataset.sender, user: el.dataset.user || '', mine: el.classList.contains('mine'),
  chunks: Number(el.dataset.chunks || 0),
  text: el.querySelector('[data-testid="message-text"]').textContent,
  tools: [...el.querySelectorAll('[data-testid="tool-call"]')].map((t) => ({ name: t.dataset.name, state: t.dataset.state, text: t.textContent })),
  tags: [...el.querySelectorAll('.tag')].map((t) => t.textContent),
}));
"""


PHONE_LAYOUT = """
const box = (sel) => { const el = document.querySelector(sel); if (!el) return null; const r = el.getBoundingClientRect();
  const s = getComputedStyle(el); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height,
  visible: s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0 }; };
return { width: innerWidth, height: innerHeight, scrollWidth: document.documentElement.scrollWidth,
  input: box('[data-testid="message-input"]'), send: box('[data-testid="send-button"]'),
  members: box('[data-testid="member-list"]'), toggle: box('[data-testid="members-toggle"]'),
  list: box('[data-testid="message-list"]') };
"""


class Browser:
    """One browser session with the page open."""

    def __init__(self, label, driver, timeout, selenium):
        self.label = label
        self.driver = driver
        self.timeout = timeout
        self.by = selenium["By"]
        self.wait_class = selenium["WebDriverWait"]
        self.timeout_error = selenium["TimeoutException"]

    def find(self, selector):
        return self.driver.find_element(self.by.CSS_SELECTOR, selector)

    def find_all(self, selector):
        return self.driver.find_elements(self.by.CSS_SELECTOR, selector)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def wait(self, what, condition, timeout=None):
        """Polls `condition(self)` until it returns something truthy; fails after the deadline."""
        deadline = timeout or self.timeout
        try:
            return self.wait_class(self.driver, deadline, poll_frequency=0.05).until(lambda _: condition(self))
        except self.timeout_error:
            raise Failure(f"{self.label}: no {what} within {deadline:g} s") from None

    def wait_visible(self, selector, what=None):
        def visible(page):
            elements = page.find_all(selector)
            return elements[0] if elements and elements[0].is_displayed() else None
        return self.wait(what or selector, visible)

    def status(self):
        return self.find(tid("connection-status")).get_attribute("data-state")

    def typing_text(self):
        return self.find(tid("typing-indicator")).text

    def messages(self):
        return self.js(MESSAGES)

    def console_errors(self):
        try:
            return [entry["message"] for entry in self.driver.get_log("browser") if entry.get("level") == "SEVERE"]
        except Exception:  # not every driver keeps the log
            return []


def start_browser(selenium, chromium, chromedriver, profile, log_path):
    options = selenium["Options"]()
    options.binary_location = chromium
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
        "--no-default-browser-check", "--disable-extensions", "--no-proxy-server", "--lang=en-US",
        "--window-size=1280,900", f"--user-data-dir={profile}",
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = selenium["Service"](executable_path=chromedriver, log_output=log_path)
    return selenium["webdriver"].Chrome(service=service, options=options)


def pick_name(page, name):
    page.wait_visible(tid("name-input"), "name form").send_keys(name)
    page.find(tid("name-submit")).click()
    page.wait_visible(tid("view-lobby"), "room list after picking a name")
    page.wait("connection (status online)", lambda p: p.status() == "online")


def in_room(page, room):
    page.wait_visible(tid("view-room"), f"room view of {room!r}")
    page.wait(f"room title {room!r}", lambda p: p.find(tid("room-title")).text == room)
    page.wait("send button enabled", lambda p: p.find(tid("send-button")).is_enabled())


def settled(page):
    """The page's messages once no answer is streaming: [] while one still is."""
    if page.find_all(tid("streaming-bubble")):
        return None
    return page.messages()


def agent_answers(messages):
    return [m for m in messages if m["sender"] == "agent"]


def check_unique(page, messages):
    seqs = [m["seq"] for m in messages]
    if len(seqs) != len(set(seqs)):
        raise Failure(f"{page.label}: a message is shown twice: seqs {seqs}")
    if seqs != sorted(seqs):
        raise Failure(f"{page.label}: messages are out of seq order: {seqs}")


def wait_answers(page, count, what):
    def answered(p):
        messages = settled(p)
        return messages if messages is not None and len(agent_answers(messages)) >= count else None
    messages = page.wait(what, answered)
    check_unique(page, messages)
    return messages


def watch_answer(page, answers, screenshot=None):
    """The partial texts a person would have seen in the streaming bubble, polled until
    `answers` agent answers are final; saves `screenshot` once the text is long enough."""
    seen = []
    shot = [screenshot]

    def final(p):
        now = p.js(ON_SCREEN)
        if now["streaming"] and now["text"] and (not seen or seen[-1] != now["text"]):
            seen.append(now["text"])
            if shot[0] and len(now["text"]) >= SCREENSHOT_AT:
                p.driver.save_screenshot(shot[0])
                say(f"{p.label}'s window with the answer streaming: {shot[0]}")
                shot[0] = None
        return not now["streaming"] and now["answers"] >= answers
    page.wait(f"answer {answers} streaming, then final", final)
    return seen


def check_grew(page, seen, final):
    """The answer was seen growing: several partial texts, each the start of the final one."""
    if len(seen) < 3:
        raise Failure(f"{page.label}: the answer was not seen streaming: {len(seen)} partial text(s) on screen "
                      f"before the final answer {final!r} (is the model instant?)")
    for text in seen:
        if not final.startswith(text):
            raise Failure(f"{page.label}: the partial text {text!r} is not the start of the final answer {final!r}")
    if len(seen[0]) >= len(final):
        raise Failure(f"{page.label}: the first text seen was already the whole answer")


def click_stop(page):
    """Presses Stop on the answer streaming, once it shows some text; the text it showed."""
    def streaming(p):
        now = p.js(ON_SCREEN)
        buttons = p.find_all(tid("streaming-bubble") + " " + tid("stop-stream"))
        return (buttons[0], now["text"]) if now["streaming"] and now["text"] and buttons else None
    button, text = page.wait("an answer streaming, with its Stop button", streaming)
    button.click()
    return text


def conversation(messages):
    return [(m["seq"], m["sender"], m["user"], m["text"]) for m in messages if m["sender"] in ("user", "agent")]


def phone_problems(layout):
    """What keeps the page from being usable on this screen, from PHONE_LAYOUT's figures."""
    problems = []
    if layout["scrollWidth"] > layout["width"]:
        problems.append(f"the page is {layout['scrollWidth']} px wide on a {layout['width']} px screen")
    for name in ("input", "send", "list", "toggle"):
        box = layout[name]
        if not box or not box["visible"] or box["bottom"] > layout["height"] + 0.5 or box["right"] > layout["width"] + 0.5:
            problems.append(f"{name} is not on screen: {box}")
    for name in ("send", "toggle"):
        if layout[name] and min(layout[name]["width"], layout[name]["height"]) < 40:
            problems.append(f"{name} is a small tap target: {layout[name]}")
    if layout["members"] and layout["members"]["visible"] and layout["members"]["left"] < layout["width"]:
        problems.append(f"the members list is not folded away: {layout['members']}")
    return problems


def selenium_select(page, selector, value):
    from selenium.webdriver.support.ui import Select
    Select(page.find(selector)).select_by_value(value)

#!/usr/bin/env python3
"""browser_test.py PAGE [CHROMIUM] [--screenshot FILE] - the playground page in headless
Chromium, opened from file://: it loads, plays, reaches 95% accuracy on moons (as the
page's DOM shows it), opens the loss graph of a clicked point, changes the dataset and the
layers, resets and steps; a screenshot is not blank; and the page makes no network request
(Chromium's own network log) and logs no error. Then the same page with its worker refused
(#no-worker: the loop runs on the page in time slices) trains too.

Prints what it measured (steps per second in the browser). Exit 0 when all holds, 1 with
what failed."""
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import png_rows  # noqa: E402  (tests/support: the PNG reader both browser tests use)

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--window-size=1440,1100", "--disable-dev-shm-usage"]


class Failure(Exception):
    pass


def check(ok, what):
    if not ok:
        raise Failure(what)


def wait(what, cond, timeout):
    """Polls cond() until it returns something true; its value, or Failure after timeout."""
    end = time.time() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.time() > end:
            raise Failure(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


# ==== PNG: enough of a decoder to tell a picture from a blank page ====================

def png_pixels(data):
    """png_rows.png_pixels, a bad screenshot failing the test."""
    try:
        return png_rows.png_pixels(data)
    except ValueError as e:
        raise Failure(str(e))


def not_blank(png):
    w, h, bpp, rows = png_pixels(png)
    colours, inked = set(), 0
    for y in range(0, h, 3):
        row = rows[y]
        for x in range(0, w, 3):
            px = row[x * bpp:x * bpp + 3]
            colours.add(px)
            if sum(px) < 600:
                inked += 1
    total = len(range(0, h, 3)) * len(range(0, w, 3))
    return len(colours), inked / total


# ==== the run ==========================================================================

def state(d):
    return d.execute_script("return window.playground && window.playground.state()")


def text(d, id_):
    return d.find_element(By.ID, id_).text


def percent(s):
    try:
        return float(s.rstrip("%"))
    except ValueError:
        return -1.0


def click(d, id_):
    d.find_element(By.ID, id_).click()


def play_until_95(d, timeout):
    t0, s0 = time.time(), state(d)["steps"]
    click(d, "play")
    wait("the train accuracy in the page to reach 95%", lambda: percent(text(d, "train-accuracy")) >= 95, timeout)
    time.sleep(max(0.0, 3.0 - (time.time() - t0)))  # plays a few seconds in all
    st = state(d)
    return time.time() - t0, st["steps"] - s0, st["rate"]


def run(page, browser, screenshot):
    url = "file://" + os.path.abspath(page)
    profile = tempfile.mkdtemp(prefix="mg-playground-chromium-")
    opts = Options()
    for f in FLAGS + [f"--user-data-dir={profile}"]:
        opts.add_argument(f)
    if browser:
        real = os.path.realpath(browser)
        # Debian's /usr/bin/chromium is a shell wrapper; chromedriver wants the binary
        lib = "/usr/lib/chromium/chromium"
        opts.binary_location = lib if real.endswith("/usr/bin/chromium") and os.path.exists(lib) else real
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    d = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    report = {}
    try:
        d.set_window_size(1440, 1100)
        t0 = time.time()
        d.get(url)
        wait("the module to load", lambda: (state(d) or {}).get("ready") and state(d)["steps"] == 0
             and text(d, "train-accuracy") not in ("", "–"), 30)
        report["load_seconds"] = round(time.time() - t0, 2)
        report["mode"] = state(d)["mode"]
        check(report["mode"] == "worker", f"training runs in '{report['mode']}', not in a worker")

        # play on moons until 95% (the accuracy the DOM shows)
        secs, steps, rate = play_until_95(d, 60)
        report["moons_seconds_to_95"] = round(secs, 2)
        report["moons_steps_per_second"] = round(rate)
        report["moons_train_accuracy"] = text(d, "train-accuracy")
        check(steps > 0, "no steps were taken")
        cmd = text(d, "command")
        check("micrograd train --data moons" in cmd and "--steps" in cmd, f"the command line: {cmd}")

        # the graph of a clicked point
        p = d.execute_script("return window.playground.pointPosition(0, 0)")
        canvas = d.find_element(By.ID, "boundary")
        r = d.execute_script("return arguments[0].getBoundingClientRect().toJSON()", canvas)
        ActionChains(d).move_to_element_with_offset(
            canvas, int(p["x"] - r["left"] - r["width"] / 2), int(p["y"] - r["top"] - r["height"] / 2)).click().perform()
        wait("the loss graph to open", lambda: state(d)["graphOpen"], 10)
        boxes = wait("the graph to be drawn",
                     lambda: len(d.find_elements(By.CSS_SELECTOR, "#graph-svg rect")), 10)
        report["graph_boxes"] = boxes
        check(boxes >= 20, f"the loss graph has {boxes} boxes")
        check("Loss graph of training row 0" in text(d, "graph-title"), text(d, "graph-title"))
        click(d, "graph-close")
        wait("the graph to close", lambda: not state(d)["graphOpen"], 5)

        # another dataset: a new run that goes on playing (each change is a message to the
        # worker, answered within a chunk of steps: wait for the page to show it)
        d.find_element(By.CSS_SELECTOR, '#datasets button[data-data="circles"]').click()
        wait("the command of a circles run", lambda: "--data circles" in text(d, "command"), 10)
        wait("circles to train", lambda: state(d)["steps"] > 50 and "--data circles" in text(d, "command"), 20)

        # one more layer
        click(d, "add-layer")
        check(state(d)["layers"] == [16, 16, 16], f"layers {state(d)['layers']} after adding one")
        wait("the command of a run with three hidden layers", lambda: "--layers 16,16,16" in text(d, "command"), 10)
        nodes = wait("the network to be redrawn",
                     lambda: (lambda n: n if n == 2 + 16 * 3 + 2 else 0)(
                         len(d.find_elements(By.CSS_SELECTOR, "#network circle"))), 10)
        # spiral: three classes
        d.find_element(By.CSS_SELECTOR, '#datasets button[data-data="spiral"]').click()
        wait("spiral with 3 classes", lambda: "--data spiral" in text(d, "command") and state(d)["nclasses"] == 3, 10)
        wait("spiral to train", lambda: state(d)["steps"] > 50 and "--data spiral" in text(d, "command"), 20)
        report["network_nodes"] = nodes

        # pause, reset, step
        click(d, "play")
        wait("the pause", lambda: not state(d)["playing"], 5)
        time.sleep(0.5)
        click(d, "reset")
        wait("the reset", lambda: state(d)["steps"] == 0 and text(d, "steps") == "0", 10)
        click(d, "step")
        wait("one step", lambda: state(d)["steps"] == 1 and text(d, "steps") == "1", 10)
        check(state(d)["error"] == "", "an error is shown: " + state(d)["error"])

        # back to moons for the picture
        d.find_element(By.CSS_SELECTOR, '#datasets button[data-data="moons"]').click()
        click(d, "remove-layer")
        wait("moons", lambda: "--data moons" in text(d, "command") and "--layers 16,16 " in text(d, "command"), 10)
        click(d, "play")
        wait("moons at 95% again", lambda: percent(text(d, "train-accuracy")) >= 95 and
             "--data moons" in text(d, "command"), 60)
        click(d, "play")
        time.sleep(0.5)
        d.execute_script("window.scrollTo(0, 0)")
        png = d.get_screenshot_as_png()
        if screenshot:
            with open(screenshot, "wb") as f:
                f.write(png)
        ncolours, inked = not_blank(png)
        report["screenshot_colours"], report["screenshot_inked"] = ncolours, round(inked, 3)
        check(ncolours >= 50 and inked >= 0.05, f"the screenshot looks blank: {ncolours} colours, {inked:.1%} inked")

        # the fallback: no worker, time slices on the page
        d.get("about:blank")
        d.get(url + "#no-worker")
        wait("the module to load without a worker", lambda: (state(d) or {}).get("ready") and
             text(d, "train-accuracy") not in ("", "–"), 30)
        check(state(d)["mode"] == "page", f"mode {state(d)['mode']} with #no-worker")
        secs, steps, rate = play_until_95(d, 60)
        report["page_mode_steps_per_second"] = round(rate)
        click(d, "play")

        # no request left the page, and nothing went wrong in it
        requests = []
        for entry in d.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent":
                u = msg["params"]["request"]["url"]
                # the browser's own pages (its new tab before the page opens) are not network
                if not u.startswith(("file:", "data:", "blob:", "about:", "chrome:", "chrome-untrusted:",
                                     "chrome-extension:", "devtools:")):
                    requests.append(u)
        check(not requests, "network requests: " + ", ".join(requests[:5]))
        resources = d.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => !/^(data|blob|file):/.test(n))")
        check(not resources, "resources fetched: " + ", ".join(resources[:5]))
        errors = [e["message"] for e in d.get_log("browser") if e["level"] == "SEVERE"]
        check(not errors, "errors in the page: " + " | ".join(errors[:5]))
        return report
    finally:
        d.quit()
        shutil.rmtree(profile, ignore_errors=True)


def main():
    args = sys.argv[1:]
    shot = None
    if "--screenshot" in args:
        i = args.index("--screenshot")
        shot = args[i + 1]
        del args[i:i + 2]
    if not args:
        print(__doc__)
        return 2
    page, browser = args[0], args[1] if len(args) > 1 else None
    if not os.path.exists(page):
        print(f"browser_test: no page at {page}")
        return 1
    t0 = time.time()
    try:
        report = run(page, browser, shot)
    except Failure as e:
        print(f"FAILED: {e}")
        return 1
    report["seconds"] = round(time.time() - t0, 1)
    print("browser_test: passed:", json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""page_browser.py - the backprop page (micrograd.h section 13d) in a real browser.

Headless Chromium (Debian's chromium, driven through chromium-driver by selenium) opens
pages the command wrote from file://, steps through every frame with the keyboard, reads
the grads the page shows back from the DOM (the exact numbers in data-grad, and the
field's text) and compares them with the engine's: `micrograd demo graph` prints every
node of L, `micrograd eval --json` the leaves of the same scripts. It also checks that

  - no request leaves the page: Chromium's network log (the DevTools performance log)
    holds no request but the page itself, and the console no error;
  - a screenshot is not blank (enough colours, enough ink);
  - the system's dark theme makes a dark page and the light one a light page;
  - at a phone's width the page does not overflow sideways.

Usage: page_browser.py --cli MICROGRAD --work DIR [--screenshot PNG --frame K]
(--screenshot: only write a screenshot of the L page at frame K, for the README).
Exit status: 0 passed, 1 failed, 77 skipped (Chromium, its driver or selenium missing;
the reason is printed and written to DIR/skipped.txt).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import png_rows  # noqa: E402  (tests/support: the PNG reader both browser tests use)

SKIP = 77


def skip(work, reason):
    print("SKIPPED: " + reason)
    with open(os.path.join(work, "skipped.txt"), "w") as f:
        f.write(reason + "\n")
    sys.exit(SKIP)


def fail(msg):
    print("FAILED: " + msg)
    sys.exit(1)


# ---- the browser ----------------------------------------------------------------------

def find_browser(work):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
    if not chromium:
        skip(work, "chromium is not installed (as root: scripts/deps.sh test, or apt-get install chromium)")
    if not driver:
        skip(work, "chromedriver is not installed (as root: apt-get install chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        skip(work, "python3 has no selenium (%s; as root: apt-get install python3-selenium)"
             % sys.executable)
    return chromium, driver


def start_browser(chromium, driver, profile):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              "--disable-default-apps", "--user-data-dir=" + profile, "--window-size=1280,800",
              # A request that should not be made fails at once instead of waiting on the
              # network; the log below still sees it.
              "--host-resolver-rules=MAP * ~NOTFOUND"]:
        opts.add_argument(a)
    opts.binary_location = chromium
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=opts)


NETWORK = ("http:", "https:", "ws:", "wss:", "ftp:")


def requests_made(d):
    """(url, document url) of every request the browser started since the last call."""
    made = []
    for entry in d.get_log("performance"):
        m = json.loads(entry["message"])["message"]
        p = m["params"]
        if m["method"] == "Network.requestWillBeSent":
            made.append((p["request"]["url"], p.get("documentURL", "")))
        elif m["method"] == "Network.webSocketCreated":
            made.append((p["url"], ""))
    return made


def open_page(d, path):
    url = "file://" + os.path.abspath(path)
    d.get(url)
    return url


def check_quiet(d, url):
    """No request by the page but the page itself, none to the network by anyone (the
    browser's own start page asks for chrome:// pieces, which never leave it), and no
    error in the console."""
    for u, doc in requests_made(d):
        if u.startswith(NETWORK) or (doc == url and u != url and not u.startswith("data:")):
            fail("a request was made: %s (by %s)" % (u, doc or "the browser"))
    for entry in d.get_log("browser"):
        if entry.get("level") == "SEVERE":
            fail("console error: %s" % entry.get("message"))


# ---- the page -------------------------------------------------------------------------

def frames_data(d):
    return json.loads(d.execute_script("return document.getElementById('mg-frames').textContent"))


def frame(d):
    body = d.find_element("tag name", "body")
    return int(body.get_attribute("data-frame")), int(body.get_attribute("data-frames"))


def step_to_end(d):
    """Presses the right arrow until the last frame, checking each press moves one frame."""
    from selenium.webdriver.common.keys import Keys
    body = d.find_element("tag name", "body")
    f, n = frame(d)
    if f != 0:
        fail("the page starts at frame %d" % f)
    for k in range(1, n):
        body.send_keys(Keys.ARROW_RIGHT)
        f, _ = frame(d)
        if f != k:
            fail("after %d presses the page shows frame %d" % (k, f))
    body.send_keys(Keys.ARROW_RIGHT)  # stays at the end
    if frame(d)[0] != n - 1:
        fail("stepping past the end moved the page")
    return n


def shown(d, data):
    """{name: (data, grad, grad field's text)} as the page shows them now."""
    out = {}
    for node in data["nodes"]:
        g = d.find_element("id", "v%d" % node["id"])
        texts = g.find_elements("tag name", "text")
        out[node["name"]] = (g.get_attribute("data-data"), g.get_attribute("data-grad"),
                             texts[-1].text if texts else "")
    return out


def check_numbers(d, data, want_grads, want_value=None, precision=4):
    """The grads the page shows at its end against the engine's (name -> float)."""
    got = shown(d, data)
    root = [n["name"] for n in data["nodes"] if n["id"] == data["root"]][0]
    if want_value is not None and float(got[root][0]) != want_value:
        fail("%s shows data %s, the engine has %r" % (root, got[root][0], want_value))
    for name, want in want_grads.items():
        if name not in got:
            fail("no node named %s on the page" % name)
        exact, text = got[name][1], got[name][2]
        if float(exact) != want:
            fail("%s shows grad %s, the engine has %r" % (name, exact, want))
        if text.replace("\u00a0", " ") != "grad " + format(want, ".%df" % precision):
            fail("%s's grad field reads %r, want 'grad %s'" % (name, text, format(want, ".4f")))
    return len(want_grads)


# ---- screenshots ----------------------------------------------------------------------

def png_pixels(png):
    """png_rows.png_pixels, a bad screenshot failing the test."""
    try:
        return png_rows.png_pixels(png)
    except ValueError as e:
        fail(str(e))


def picture_stats(path):
    """(distinct colours, fraction of pixels unlike the corner's, mean brightness)."""
    with open(path, "rb") as f:
        w, h, bpp, rows = png_pixels(f.read())
    bg = tuple(rows[0][0:3])
    colours, ink, total, light = set(), 0, 0, 0
    for y in range(0, h, 2):
        row = rows[y]
        for x in range(0, w, 2):
            px = tuple(row[x * bpp:x * bpp + 3])
            colours.add(px)
            ink += sum(abs(px[k] - bg[k]) for k in range(3)) > 60
            light += sum(px)
            total += 1
    return len(colours), ink / total, light / (3 * total)


def screenshot(d, path):
    d.save_screenshot(path)
    colours, ink, brightness = picture_stats(path)
    if colours < 20 or ink < 0.02:
        fail("the screenshot %s looks blank: %d colours, %.1f%% ink" % (path, colours, 100 * ink))
    return brightness


# ---- the engine's numbers ---------------------------------------------------------------

def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        fail("%s exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr))
    return p.stdout


def eval_json(cli, work, name, text):
    path = os.path.join(work, name + ".py")
    with open(path, "w") as f:
        f.write(text)
    return json.loads(run([cli, "eval", "--json", "-q", path]))


L_SCRIPT = ("a = Value(2.0, label='a')\nb = Value(-3.0, label='b')\nc = Value(10.0, label='c')\n"
            "e = a*b; e.label = 'e'\nd = e + c; d.label = 'd'\nf = Value(-2.0, label='f')\n"
            "L = d * f; L.label = 'L'\n")
NEURON_SCRIPT = ("x1 = Value(2.0, label='x1')\nx2 = Value(0.0, label='x2')\n"
                 "w1 = Value(-3.0, label='w1')\nw2 = Value(1.0, label='w2')\n"
                 "b = Value(6.8813735870195432, label='b')\n"
                 "n = x1*w1 + x2*w2 + b\no = n.tanh(); o.label = 'o'\n")


def walkthrough_grads(stdout):
    """`micrograd demo graph` prints 'e  Value(data=-6.0, grad=-2.0)' for each node."""
    grads = {}
    for line in stdout.splitlines():
        if "Value(data=" in line:
            name = line.split()[0]
            grads[name] = float(line.split("grad=")[1].rstrip(")"))
    return grads


# ---- the test ---------------------------------------------------------------------------

def check_L(d, cli, work):
    """L: every node against the walkthrough's printout, the leaves against eval; the
    buttons back to the start and to the end again. Returns (grads checked, brightness)."""
    page = os.path.join(work, "L.html")
    walk = run([cli, "demo", "graph", "--html", page])
    url = open_page(d, page)
    data = frames_data(d)
    n = step_to_end(d)
    want = walkthrough_grads(walk)
    ev = eval_json(cli, work, "L", L_SCRIPT)
    if any(want[k] != v for k, v in ev["grads"].items()):
        fail("demo graph and eval --json disagree: %s vs %s" % (want, ev["grads"]))
    checked = check_numbers(d, data, want, ev["value"])
    light = screenshot(d, os.path.join(work, "L_end.png"))
    d.find_element("id", "first").click()
    if frame(d)[0] != 0:
        fail("First did not go to frame 0")
    d.find_element("id", "last").click()
    if frame(d)[0] != n - 1:
        fail("Last did not go to the last frame")
    check_numbers(d, data, want)
    check_quiet(d, url)
    return checked, light


def check_neuron(d, cli, work):
    """The tanh neuron against eval. Returns the grads checked."""
    page = os.path.join(work, "neuron.html")
    run([cli, "demo", "neuron", "--html", page])
    url = open_page(d, page)
    data = frames_data(d)
    step_to_end(d)
    ev = eval_json(cli, work, "neuron", NEURON_SCRIPT)
    checked = check_numbers(d, data, ev["grads"], ev["value"])
    check_quiet(d, url)
    return checked


def check_every_frame(d, cli, work, demo):
    """A bigger graph with every kind of term (dot products, relus closed and open, tanh,
    powers, sums): every frame shows without an error, the last one with the grads the
    frames' terms leave."""
    path = os.path.join(work, demo + ".html")
    run([cli, "demo", demo, "--steps", "3", "--html", path])
    url = open_page(d, path)
    data = frames_data(d)
    n = d.execute_script(
        "var n = 1; while (document.body.getAttribute('data-frame') !="
        " document.body.getAttribute('data-frames') - 1) {"
        " document.getElementById('next').click(); n++; } return n;")
    if n != len(data["forward"]) + len(data["backward"]) + 3:
        fail("%s: %d frames shown" % (demo, n))
    final = {node["id"]: float(node["grad"]) for node in data["nodes"]}
    for t in data["backward"]:
        final[t["operand"]] = float(t["after"])
    for node in data["nodes"][:40]:
        g = d.find_element("id", "v%d" % node["id"]).get_attribute("data-grad")
        if float(g) != final[node["id"]]:
            fail("%s: %s shows grad %s, its last term left %r" % (demo, node["name"], g, final[node["id"]]))
    check_quiet(d, url)


def check_dark_and_phone(d, work, light):
    """Mid-backward in the system's dark theme: a dark page (the light one was light), not
    blank. At a phone's width nothing sticks out sideways."""
    page = os.path.join(work, "L.html")
    d.execute_cdp_cmd("Emulation.setEmulatedMedia",
                      {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    url = open_page(d, page)
    d.find_element("id", "next").click()
    dark = screenshot(d, os.path.join(work, "L_dark.png"))
    if not (light > 170 and dark < 90):
        fail("themes: light page brightness %.0f, dark page %.0f" % (light, dark))
    check_quiet(d, url)
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    url = open_page(d, page)
    over = d.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    if over > 1:
        fail("at a phone's width the page is %d px too wide" % over)
    screenshot(d, os.path.join(work, "L_phone.png"))
    check_quiet(d, url)


def readme_screenshot(d, cli, work, path, at):
    """The README's picture: the L page at frame `at`."""
    page = os.path.join(work, "L.html")
    run([cli, "demo", "graph", "--html", page])
    d.set_window_size(1200, 640)
    open_page(d, page)
    d.execute_script("var s = document.getElementById('slider'); s.value = arguments[0];"
                     "s.oninput.call(s);", at)
    screenshot(d, path)
    print("wrote %s" % path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--screenshot")
    ap.add_argument("--frame", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    stale = os.path.join(args.work, "skipped.txt")
    if os.path.exists(stale):
        os.remove(stale)
    chromium, driver = find_browser(args.work)
    t0 = time.time()
    profile = tempfile.mkdtemp(prefix="mg-chromium-")
    d = start_browser(chromium, driver, profile)
    try:
        if args.screenshot:
            readme_screenshot(d, args.cli, args.work, args.screenshot, args.frame)
            return 0
        checked, light = check_L(d, args.cli, args.work)
        checked += check_neuron(d, args.cli, args.work)
        for demo in ("toy", "moons"):
            check_every_frame(d, args.cli, args.work, demo)
        check_dark_and_phone(d, args.work, light)
    finally:
        d.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print("passed: %d grads read back from the pages equal the engine's; every frame of "
          "toy's and moons' pages shown; no request made; %.1f s" % (checked, time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())

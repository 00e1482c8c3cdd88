#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The leco serve page in a real browser (Debian's chromium, chromium-driver, python3-selenium).

  browser.py BASE TOKEN SCREENSHOT
Opens BASE/?token=TOKEN, makes a TCP connection on loopback and waits for it in the live
table (at most 3 s), checks that the live chart drew something, that the history (the server
reads tests/history/mkdb.c's database: apps alpha and beta an hour ago, four new pairs) draws
its chart, lists the new pairs and shows an app's endpoints on a click, that the browser logged
no severe error, and saves a screenshot. Prints ok/FAIL lines and "N passed, N failed".
"""
import os
import socket
import sys
import tempfile
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webcheck import Checks  # noqa: E402

check = Checks(why_max=800)


def wait_for(fn, seconds, step=0.05):
    deadline = time.monotonic() + seconds
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


class Talker:
    """A TCP pair on loopback that keeps exchanging a little data until stopped."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.port = self.srv.getsockname()[1]
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.echo, daemon=True)
        self.t.start()

    def echo(self):
        c, _ = self.srv.accept()
        c.settimeout(0.5)
        while not self.stop.is_set():
            try:
                b = c.recv(65536)
            except socket.timeout:
                continue
            if not b:
                break
            c.sendall(b)
        c.close()

    def run(self):
        self.cl = socket.create_connection(("127.0.0.1", self.port))
        self.cport = self.cl.getsockname()[1]
        threading.Thread(target=self.talk, daemon=True).start()

    def talk(self):
        while not self.stop.is_set():
            self.cl.sendall(b"x" * 20000)
            got = 0
            while got < 20000:
                got += len(self.cl.recv(65536))
            time.sleep(0.05)

    def close(self):
        self.stop.set()
        self.cl.close()
        self.srv.close()


# Pixels of a canvas drawn at all, and in colour (not grey: axes and text are grey).
CANVAS_INK = """
    const cv = document.getElementById(arguments[0]);
    const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    let ink = 0, colour = 0;
    for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3] > 0) ink++;
        if (px[i + 3] > 0 && Math.abs(px[i] - px[i + 1]) + Math.abs(px[i + 1] - px[i + 2]) > 60) colour++;
    }
    return {ink, colour, w: cv.width, h: cv.height};"""


def check_history(d):
    """The history part of the page, on mkdb's database."""
    sets = wait_for(lambda: d.execute_script(
        "const c = Chart.getChart('history-chart');"
        "return !document.getElementById('history-body').hidden && c ? "
        "c.data.datasets.map(s => s.label) : null"), 10)
    check("the history chart: a data set per app (%s)" % sets, sets and {"alpha", "beta"} <= set(sets))
    ink = d.execute_script(CANVAS_INK, "history-chart")
    check("the history chart renders: a canvas that is not blank (%s)" % ink,
          ink["ink"] > 1000 and ink["colour"] > 200)
    new = wait_for(lambda: d.execute_script(
        "return [...document.querySelectorAll('#new tbody tr')].map(r => r.textContent)"), 10)
    check("the new pairs: mkdb's four (%s)" % new, new and len(new) == 4 and
          sum("alpha" in r for r in new) == 2 and any("192.0.2.3" in r and "8080" in r for r in new) and
          # the endpoint's rname beside its address, on both apps' pairs with 192.0.2.1
          sum("svc.example.test (192.0.2.1)" in r for r in new) == 2)
    # a click on alpha's bar shows alpha's endpoints (/api/new?app=alpha)
    canvas = d.find_element(By.ID, "history-chart")
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    at = d.execute_script("""
        const c = Chart.getChart('history-chart');
        const i = c.data.datasets.findIndex(s => s.label === 'alpha');
        const j = c.data.datasets[i].data.findIndex(v => v > 0);
        const e = c.getDatasetMeta(i).data[j], r = c.canvas.getBoundingClientRect();
        return {x: e.x, y: (e.y + e.base) / 2, w: r.width, h: r.height};""")
    ActionChains(d).move_to_element_with_offset(
        canvas, int(at["x"] - at["w"] / 2), int(at["y"] - at["h"] / 2)).click().perform()
    ends = wait_for(lambda: d.execute_script(
        "return document.getElementById('endpoints').hidden ? null : "
        "[document.getElementById('endpoints-app').textContent, "
        "...[...document.querySelectorAll('#endpoints tbody tr')].map(r => r.textContent)]"), 5)
    check("a click on an app's bar lists its endpoints (%s)" % ends,
          ends and ends[0] == "alpha" and len(ends) == 3 and
          any("svc.example.test (192.0.2.1)" in r and "443" in r and "tcp" in r for r in ends[1:]) and
          any("192.0.2.2" in r and "53" in r and "udp" in r for r in ends[1:]))


def main():
    base, token, shot = sys.argv[1:4]
    profile = tempfile.mkdtemp(prefix="leco-chromium-")
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--window-size=1400,1500",
              # no traffic but loopback: no name is ever looked up
              "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
              "--user-data-dir=" + profile):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    talker = Talker()
    try:
        d.set_page_load_timeout(20)
        d.get(base + "/?token=" + token)
        check("the page opens with the token (and drops it from the address)",
              d.current_url.rstrip("/") == base, d.current_url)
        first = wait_for(lambda: d.execute_script(
            "return document.querySelectorAll('#conns tbody tr').length"), 10)
        check("the live table fills from the event stream", first, first)
        t0 = time.monotonic()
        talker.run()
        want = "127.0.0.1:%d" % talker.port
        mine = "127.0.0.1:%d" % talker.cport
        js = ("return [...document.querySelectorAll('#conns tbody tr')].some(r => "
              "r.textContent.includes(arguments[0]) && r.textContent.includes(arguments[1]))")
        seen = wait_for(lambda: d.execute_script(js, want, mine), 3)
        dt = time.monotonic() - t0
        check("a connection made by the test appears within 3 s (%.2f s)" % dt, seen)
        # the live chart: Chart.js made it, with data sets, and its canvas is not blank
        wait_for(lambda: d.execute_script(
            "const c = Chart.getChart('live-chart'); return c && c.data.labels.length > 2"), 10)
        sets = d.execute_script(
            "const c = Chart.getChart('live-chart'); return c ? c.data.datasets.length : 0")
        info = d.execute_script(CANVAS_INK, "live-chart")
        check("the live chart renders: data sets, and a canvas that is not blank (%d, %s)" %
              (sets, info), sets > 0 and info["ink"] > 1000 and info["colour"] > 200)
        sparks = d.execute_script(
            "return [...document.querySelectorAll('canvas.spark')].filter(c => "
            "c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v)).length")
        check("the top tables draw sparklines (%s)" % sparks, sparks > 0)
        check_history(d)
        health = d.execute_script("return document.querySelector('#health').textContent")
        check("probe health is shown", "events" in health and "ok" in health, health[:200])
        state = d.execute_script("return document.querySelector('#state').textContent")
        check("the state badge says the probes are loaded", state == "probes loaded", state)
        # for the documentation's screenshot: a longer history in the charts (LECO_SCREENSHOT_WAIT)
        time.sleep(float(os.environ.get("LECO_SCREENSHOT_WAIT", "0")))
        d.save_screenshot(shot)
        check("screenshot saved", os.path.getsize(shot) > 10000)
        logs = d.get_log("browser")
        severe = [e for e in logs if e.get("level") == "SEVERE"]
        check("no severe console errors", not severe, severe)
    finally:
        talker.close()
        d.quit()
    check.done()


if __name__ == "__main__":
    main()

"""Helpers shared by the live-capture tests of this folder."""
import subprocess
import threading
import time


def netns_setup_or_skip(setup, teardown):
    """Runs setup (which creates the test's network namespaces). None when it worked; when
    this machine cannot create them (no privilege, no `ip`), tears down what was made and
    returns the reason, for the test to print as its skip line."""
    try:
        setup()
        return None
    except (subprocess.CalledProcessError, FileNotFoundError, PermissionError) as e:
        teardown()
        msg = getattr(e, "stderr", "") or str(e)
        return "cannot create network namespaces here: " + msg.strip()


class StderrReader:
    """Collects a process's stderr in a thread so the test can wait for a line."""

    def __init__(self, proc):
        self.lines = []
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._run, args=(proc,), daemon=True)
        self.t.start()

    def _run(self, proc):
        for line in proc.stderr:
            with self.lock:
                self.lines.append(line)

    def wait_for(self, text, timeout):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                if any(text in l for l in self.lines):
                    return True
            time.sleep(0.05)
        return False

    def text(self):
        with self.lock:
            return "".join(self.lines)

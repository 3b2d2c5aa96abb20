"""Helpers shared by the live-capture tests of this folder."""
import threading
import time


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

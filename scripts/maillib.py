"""The inbox of the scripts: starts scripts/smtp-sink on a free loopback port and reads what
Scanpage sent, the way a user opens their mail. Sign-up answers the same whether or not an
address is registered, so a script that needs a signed-in user follows the confirmation link
from the email, as a person does.

    inbox = Inbox.start(workdir)            # starts the sink (Inbox(folder) reads one)
    env["SMTP_URL"] = inbox.smtp_url        # the servers deliver to it
    token = inbox.link(email, "/verify/")   # waits for the message, returns the link's token
    inbox.stop()
"""

import email
import email.policy
import glob
import os
import re
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Inbox:
    def __init__(self, folder, proc=None, port=None):
        """The messages a sink writes to `folder`; `proc` and `port` when this script runs it."""
        self.dir, self.proc, self.port = folder, proc, port
        self.smtp_url = f"smtp://127.0.0.1:{port}" if port else None

    @classmethod
    def start(cls, workdir):
        folder = os.path.join(workdir, "mail")
        os.makedirs(folder, exist_ok=True)
        port_file = os.path.join(workdir, "smtp-sink.port")
        proc = subprocess.Popen(
            [os.path.join(ROOT, "scripts", "smtp-sink"), "--port", "0", "--dir", folder,
             "--port-file", port_file],
            stdout=subprocess.DEVNULL)
        deadline = time.time() + 10
        while not os.path.exists(port_file):
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("scripts/smtp-sink did not start")
            time.sleep(0.05)
        with open(port_file) as f:
            return cls(folder, proc, int(f.read()))

    def messages(self, to):
        """Every message delivered to `to` so far, oldest first, as email.message objects."""
        found = []
        for path in sorted(glob.glob(os.path.join(self.dir, "*.eml"))):
            with open(path, "rb") as f:
                message = email.message_from_binary_file(f, policy=email.policy.default)
            if to.lower() in (r.lower() for r in message.get_all("X-Sink-Recipient", [])):
                found.append(message)
        return found

    @staticmethod
    def text(message):
        part = message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part else ""

    def link(self, to, path, timeout=20.0, after=0):
        """The token of the newest link containing `path` (e.g. "/verify/") in a message to
        `to`, waiting for it to arrive; `after` skips that many earlier messages to `to`."""
        deadline = time.time() + timeout
        pattern = re.compile(r"https?://[^\s\"'<>]*" + re.escape(path) + r"([A-Za-z0-9_-]*)")
        while True:
            for message in reversed(self.messages(to)[after:]):
                match = pattern.search(self.text(message))
                if match:
                    return match.group(1)
            if time.time() > deadline:
                raise RuntimeError(f"no email to {to} with a {path} link within {timeout} s")
            time.sleep(0.1)

    def stop(self):
        if not self.proc:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()

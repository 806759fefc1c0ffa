"""An SMS provider for the worker-killed test: slow enough to kill mid-batch, and it logs each send
to a file (the worker is another process) so the test can count sends per number."""

import os
import time

from eid.sms import TextMessage


class SlowLoggingSMSProvider:
    def send(self, message: TextMessage) -> None:
        time.sleep(0.05)
        with open(os.environ["NOTIFY_TEST_SMS_LOG"], "a") as log:
            log.write(message.to + "\n")

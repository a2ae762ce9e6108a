"""The embedded broker: kombu's file-system transport, with each message written whole.

kombu creates a message file under its final name and then writes it; a worker listing
the folder in between reads an empty file, fails to decode it and stops taking tasks
(seen under bursts of hundreds of tasks: the lab, the power sync). Here a message is
written under a name no queue matches (a leading dot) and then renamed into place, which
is atomic, so a reader sees the whole message or none. `filesystem://` means this
transport in every process that loads our Celery app (`use_atomic_filesystem`).
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # kombu's name: the readers sort on the time and match on the queue after the dot.
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.partial")
        try:
            with open(partial, "wb") as message:
                message.write(dumps(payload).encode())
            os.replace(partial, final)
        except OSError as error:
            raise ChannelError(f"Cannot add file {final!r} to directory") from error


class Transport(filesystem.Transport):
    Channel = Channel


def use_atomic_filesystem() -> None:
    """Make `filesystem://` URLs use this transport (an alias, not a setting: a setting
    would also override a redis:// URL that a test or an operator switches to)."""
    TRANSPORT_ALIASES["filesystem"] = f"{__name__}:Transport"

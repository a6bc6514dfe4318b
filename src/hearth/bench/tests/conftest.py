"""The benchmarks' regression tests use the channel tests' real local servers."""

from hearth.channels.tests.conftest import mail, mail_servers  # noqa: F401

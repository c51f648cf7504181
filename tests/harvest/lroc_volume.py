# shim for this session: moved to archive_fed.testing (issue 12); import from there
from archive_fed.testing.lroc_volume import *  # noqa: F401,F403

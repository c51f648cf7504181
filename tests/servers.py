# shim for this session: moved to archive_fed.testing (issue 12); import from there
from archive_fed.testing.faults import *  # noqa: F401,F403
from archive_fed.testing.servers import *  # noqa: F401,F403

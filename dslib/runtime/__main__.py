"""``python -m dslib.runtime SPEC.json``: run one node's process (see ``dslib.runtime.node``).

A ``Cluster`` starts this; a person has no need to. The entry point is here rather
than in ``node`` itself because the package imports ``node`` (for its spec format),
and running an imported module with ``-m`` would load it twice.
"""

import sys

from dslib.runtime.node import main

sys.exit(main())

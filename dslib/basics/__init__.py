"""The small systems of chapter 1: ping-pong, request/response, a queueing server.

They are deliberately simple, so that what the reader watches is the network and the
failures, not the protocol. One module per idea, each used by the sections named:

- ``dslib.basics.pingpong``: a ``Pinger`` and a ``Ponger`` (sections 1.0, 1.1, 1.4);
- ``dslib.basics.request_response``: a key-value ``KVServer`` for the ``Client`` of
  ``dslib.sim`` (timeouts and retries), and a ``CounterServer`` whose increments show
  what partial failure does to retries (sections 1.2, 1.4; chapter 5 reuses it);
- ``dslib.basics.queueing``: a ``QueueServer`` that takes time to serve each request,
  driven by an open-loop ``LoadGenerator``, and ``request_latencies``, to measure latency
  against throughput (section 1.3; chapter 6 reuses them);
- ``dslib.basics.sim_mutants``: broken simulators and the checks of chapter 1 that catch
  them (section 1.3). It is not re-exported here: import it as a module.

Everything public of the first three is re-exported here, so ``from dslib.basics import
Pinger`` works.

Examples
--------
>>> from dslib.basics import CounterServer, Pinger, QueueServer
>>> Pinger.__module__, CounterServer.__module__, QueueServer.__module__
('dslib.basics.pingpong', 'dslib.basics.request_response', 'dslib.basics.queueing')
"""

from dslib.basics.pingpong import *  # noqa: F403
from dslib.basics.pingpong import __all__ as _pingpong_all
from dslib.basics.queueing import *  # noqa: F403
from dslib.basics.queueing import __all__ as _queueing_all
from dslib.basics.request_response import *  # noqa: F403
from dslib.basics.request_response import __all__ as _request_response_all

__all__ = [*_pingpong_all, *_request_response_all, *_queueing_all]

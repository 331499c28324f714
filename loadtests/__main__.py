"""``python -m loadtests``: the scale-rule check against the local stack (``make loadtest``)."""

from gevent import monkey

# Before anything imports ssl or socket: locust's users run on gevent.
monkey.patch_all()

from loadtests.check import main  # noqa: E402

raise SystemExit(main())

"""What the media API opens besides the tenancy stack: the blob store and the job queue."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from litestar.di import Provide
from litestar.plugins import InitPluginProtocol

from stelly_media.jobs import open_queue
from stelly_media.storage import BlobStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar import Litestar
    from litestar.config.app import AppConfig
    from stelly_tenancy.plugin import ServiceContext

    from stelly_media.jobs import JobQueue

__all__ = ["MediaPlugin", "MediaRuntime"]


class MediaRuntime:
    """The blob store and job queue of one media API process."""

    def __init__(self, store: BlobStore, queue: JobQueue) -> None:
        self.store = store
        self.queue = queue


class MediaPlugin(InitPluginProtocol):
    """Opens :class:`MediaRuntime` after the tenancy stack (list it after ``TenancyPlugin``)."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self._runtime: MediaRuntime | None = None

    @property
    def runtime(self) -> MediaRuntime:
        if self._runtime is None:
            raise RuntimeError("the media service has not started")
        return self._runtime

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        @contextlib.asynccontextmanager
        async def lifespan(_: Litestar) -> AsyncIterator[None]:
            settings = self.context.settings
            store = BlobStore.from_settings(settings)
            if settings.is_development:
                await store.ensure_container()
            queue = open_queue(settings, self.context.redis)
            self._runtime = MediaRuntime(store, queue)
            self.context.extra_checks["blob"] = store.ping
            try:
                yield
            finally:
                self.context.extra_checks.pop("blob", None)
                self._runtime = None
                await queue.close()
                await store.close()

        app_config.lifespan.append(lifespan)
        app_config.dependencies["media"] = Provide(lambda: self.runtime, sync_to_thread=False)
        return app_config

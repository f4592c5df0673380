"""Logging: one JSON object per line in production (for the log shipper), readable text elsewhere.

Every record carries the request id of the request it belongs to. Nothing here ever formats a
header, a body or a query string: tokens and passwords cannot reach the logs through it."""

from __future__ import annotations

import contextvars
import logging
import queue
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener
from typing import IO, Any

import msgspec

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
ACCESS_LOGGER = "bookshop.access"

# Attributes every LogRecord has; anything else on a record was passed as `extra=` and is kept.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
_NOT_FIELDS = _STANDARD | {"color_message"}  # uvicorn's copy of its message with terminal colours


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _NOT_FIELDS and v is not None})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:  # formatted already, by QueuedStreamHandler
            entry["exception"] = record.exc_text
        return msgspec.json.encode(entry, enc_hook=str).decode()  # a third faster than json.dumps


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        extras = {k: v for k, v in record.__dict__.items() if k not in _NOT_FIELDS | {"request_id"}}
        record.request_id = getattr(record, "request_id", None) or "-"
        line = super().format(record)
        return f"{line} {' '.join(f'{k}={v}' for k, v in extras.items())}" if extras else line


class QueuedStreamHandler(QueueHandler):
    """Writes to a stream from a thread of its own: the event loop only queues the record (the
    request id filter runs here, in the request's context; the message is merged with its
    arguments so that nothing mutable crosses over). Formatting and the blocking write happen in
    the listener thread.

    Only the access log goes through it (one line per request: formatted and written on the loop
    it was 11% of `GET /products/{id}`). uvicorn ends a worker by re-raising SIGTERM, which skips
    logging's clean-up at exit, so the app drains the queue when it shuts down
    (`drain_access_log`); a line logged after that is written at once, never dropped."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(queue.SimpleQueue())
        self._target = logging.StreamHandler(stream)
        self._listener: QueueListener | None = QueueListener(
            self.queue, self._target, respect_handler_level=False
        )
        self._listener.start()

    def setFormatter(self, fmt: logging.Formatter | None) -> None:
        self._target.setFormatter(fmt)

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.msg = record.getMessage()
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
        return record

    def emit(self, record: logging.LogRecord) -> None:
        if self._listener is None:
            self._target.handle(self.prepare(record))
        else:
            super().emit(record)

    def drain(self) -> None:
        """Write every queued line, then write each new one at once."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
        self._target.flush()

    def close(self) -> None:
        self.drain()
        self._target.close()
        super().close()


def drain_access_log() -> None:
    """Before a worker ends: the access lines still queued reach the stream."""
    for handler in logging.getLogger(ACCESS_LOGGER).handlers:
        if isinstance(handler, QueuedStreamHandler):
            handler.drain()


def logging_config(*, json_lines: bool, level: str = "INFO") -> dict[str, Any]:
    """A dictConfig for the app and for uvicorn (its own access log is off: ours replaces it).
    Every record is written at once, except the access log's (see QueuedStreamHandler)."""
    formatter = {"()": f"{__name__}.JsonFormatter"} if json_lines else {"()": f"{__name__}.TextFormatter"}
    stream = "ext://sys.stdout"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": stream,
            },
            "access": {
                "()": f"{__name__}.QueuedStreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": stream,
            },
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            ACCESS_LOGGER: {"handlers": ["access"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            # The job engine logs each job it starts and ends; the shop logs what the jobs did.
            "procrastinate": {"level": "WARNING"},
        },
    }

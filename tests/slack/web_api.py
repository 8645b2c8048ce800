"""`FakeSlackWebAPI`: a strict, recording Slack Web API on 127.0.0.1.

Point the app at it with ``WebClient(token="xoxb-...", base_url=fake.api_url)``. Every request is recorded
as a `Call`; answers look like Slack's, including its refusals (HTTP 200 with ``ok: false``), 429s on demand,
the files_upload_v2 flow and ``response_url`` posts (``fake.response_url()`` gives a fresh one).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qs, urlsplit

from . import workspace
from .validation import check_message, truncate_text, validate_message

if TYPE_CHECKING:
    from .socket_mode import FakeSocketModeServer

__all__ = ["Call", "FakeSlackWebAPI", "Upload", "validate_message"]

JSON_FIELDS = ("blocks", "attachments", "files", "metadata")  # JSON-encoded strings inside form bodies
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"})
RESPONSE_URL_USES = 5  # Slack accepts at most 5 posts to one response_url
FIRST_TS = 1_700_000_000_000_000  # microseconds; ts values look like "1700000000.000100"


@dataclass(frozen=True)
class Call:
    """One request the fake answered. `error` is set when it answered `ok: false` (or HTTP 429/4xx)."""

    method: str  # Web API method, or "response_url" for posts to a response_url
    args: dict[str, Any]  # the body (form or JSON) with JSON-encoded fields decoded; no token
    token: str | None  # the bearer token; for response_url calls, the id at the end of the URL
    at: float  # time.monotonic() when the request arrived
    error: str | None = None
    status: int = 200
    truncated: bool = False  # `text` was over 40,000 characters and was cut, as Slack does


@dataclass(frozen=True)
class Upload:
    """A file sent through files_upload_v2; channel and comment are None until completeUploadExternal."""

    file_id: str
    filename: str
    title: str | None
    content: bytes
    channel: str | None
    initial_comment: str | None
    thread_ts: str | None


@dataclass
class _File:
    file_id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None


@dataclass(frozen=True)
class _User:
    id: str
    name: str
    real_name: str
    is_bot: bool
    team: str = workspace.TEAM_ID  # another team's ID: a Slack Connect user


@dataclass(frozen=True)
class _Channel:
    id: str
    name: str
    is_im: bool
    user: str | None


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class SlackError(Exception):
    """A refusal, answered as `{"ok": false, "error": error}` like Slack does."""

    def __init__(self, error: str, *messages: str) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)


class FakeSlackWebAPI:
    """The Slack Web API for one workspace; a context manager that starts and stops its server thread."""

    def __init__(
        self,
        *,
        tokens: Iterable[str] | None = None,
        socket_mode: FakeSocketModeServer | None = None,
        socket_mode_url: str | None = None,
    ) -> None:
        # None: any `xoxb-` bot token and any `xapp-` app token is valid; otherwise exactly these tokens.
        self.tokens = frozenset(tokens) if tokens is not None else None
        # apps.connections.open answers socket_mode.url (a fresh ticket each time) or else socket_mode_url.
        self.socket_mode = socket_mode
        self.socket_mode_url = socket_mode_url
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._users: dict[str, _User] = {}
        self._channels: dict[str, _Channel] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._reactions: set[tuple[str, str, str]] = set()
        self._files: dict[str, _File] = {}
        self._response_urls: dict[str, int] = {}  # id -> uses
        self._rate_limits: dict[str, deque[int]] = {}
        self._delays: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "usergroups.users.list": self._usergroups_users_list,
            "reactions.add": self._reactions_add,
            "apps.connections.open": self._apps_connections_open,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }
        self.add_user(workspace.BOT_USER_ID, workspace.BOT_NAME, "Pilothouse", is_bot=True)

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> Self:
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack-web-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._stopping.set()  # cuts injected delays short so request threads can be joined
        self._server.shutdown()
        self._server.server_close()  # joins the request threads (daemon_threads is off)
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The server's root, e.g. ``http://127.0.0.1:41234``."""
        if self._server is None:
            raise RuntimeError("FakeSlackWebAPI is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """What to give ``WebClient(base_url=...)``: it ends with ``/api/``."""
        return f"{self.url}/api/"

    # -- seeding and behaviour ---------------------------------------------------------------------------------

    def add_user(
        self, id: str, name: str, real_name: str = "", is_bot: bool = False, *, team: str = workspace.TEAM_ID
    ) -> None:
        """A person for users.info; `team`: their workspace (another one: external, via Slack Connect)."""
        with self._cond:
            self._users[id] = _User(id, name, real_name or name, is_bot, team)

    def add_channel(self, id: str, name: str, is_im: bool = False, *, user: str | None = None) -> None:
        """A channel for conversations.info; for an IM, `user` is the person at the other end."""
        with self._cond:
            self._channels[id] = _Channel(id, name, is_im, user)

    def add_usergroup(self, id: str, users: Iterable[str]) -> None:
        """A user group for usergroups.users.list (again: its new members)."""
        with self._cond:
            self._usergroups[id] = list(users)

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls to `method` get HTTP 429 with ``Retry-After: retry_after``."""
        with self._cond:
            self._rate_limits.setdefault(method, deque()).extend([retry_after] * times)

    def delay(self, method: str, seconds: float) -> None:
        """Answer every later call to `method` only after `seconds` (0 removes the delay)."""
        with self._cond:
            self._delays[method] = seconds

    def response_url(self) -> str:
        """A fresh response_url for a payload; posts to it are recorded as method "response_url"."""
        token = f"R{next(self._ids):08d}"
        with self._cond:
            self._response_urls[token] = 0
        return f"{self.url}/respond/{token}"

    def reset(self) -> None:
        """Forget calls, messages, reactions, uploads, pending 429s and delays; seeded users/channels stay."""
        with self._cond:
            self._calls.clear()
            self._messages.clear()
            self._reactions.clear()
            self._files.clear()
            self._rate_limits.clear()
            self._delays.clear()

    # -- inspection --------------------------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def errors(self) -> list[Call]:
        """Calls the fake refused (ok: false, 429, bad response_url posts): a healthy test expects none."""
        with self._cond:
            return [c for c in self._calls if c.error is not None]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5,
        predicate: Callable[[Call], bool] | None = None,
        *,
        include_errors: bool = False,
    ) -> list[Call]:
        """Block until `count` accepted calls to `method` (matching `predicate`) arrived; return all of them."""

        def matching() -> list[Call]:
            return [
                c
                for c in self._calls
                if c.method == method and (include_errors or c.error is None) and (predicate is None or predicate(c))
            ]

        with self._cond:
            if self._cond.wait_for(lambda: len(matching()) >= count, timeout):
                return matching()
            seen = [(c.method, c.error) if c.error else c.method for c in self._calls]
        raise AssertionError(f"wanted {count} accepted {method} call(s) within {timeout}s; the fake saw {seen}")

    def uploads(self) -> list[Upload]:
        with self._cond:
            return [
                Upload(f.file_id, f.filename, f.title, f.content, f.channel, f.initial_comment, f.thread_ts)
                for f in self._files.values()
                if f.content is not None
            ]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The current state of a message the bot posted (after any chat.update)."""
        with self._cond:
            message = self._messages.get((channel, ts))
            return dict(message) if message else None

    # -- HTTP plumbing -----------------------------------------------------------------------------------------

    def _answer(self, http_method: str, target: str, headers: dict[str, str], raw: bytes) -> _Reply:
        arrived = time.monotonic()
        try:
            return self._route(http_method, target, headers, raw, arrived)
        except Exception as bug:  # a bug in the fake must fail the test, not look like a network error
            self._record(Call(target, {}, None, arrived, f"fake_internal_error: {bug!r}", 500))
            return _json_reply({"ok": False, "error": "fake_internal_error", "detail": repr(bug)}, 500)

    def _route(self, http_method: str, target: str, headers: dict[str, str], raw: bytes, arrived: float) -> _Reply:
        parts = urlsplit(target)
        path = parts.path
        if path.startswith("/api/"):
            return self._answer_api(path.removeprefix("/api/"), parts.query, headers, raw, arrived)
        if path.startswith("/upload/") and http_method == "POST":
            return self._answer_upload(path.removeprefix("/upload/"), raw)
        if path.startswith("/respond/") and http_method == "POST":
            return self._answer_response_url(path.removeprefix("/respond/"), raw, arrived)
        return _Reply(404, b"not found", "text/plain")

    def _answer_api(self, method: str, query: str, headers: dict[str, str], raw: bytes, arrived: float) -> _Reply:
        token = _bearer(headers.get("authorization", ""))
        try:
            args = _flatten(parse_qs(query, keep_blank_values=True))
            args.update(_parse_body(raw, headers.get("content-type", "")))
        except SlackError as refusal:
            return self._refuse(Call(method, {}, token, arrived, refusal.error), refusal.messages)
        token = token or args.pop("token", None)
        args.pop("token", None)

        retry_after = self._take_rate_limit(method)
        if retry_after is not None:
            self._record(Call(method, args, token, arrived, "ratelimited", 429))
            return _json_reply({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(retry_after)})
        self._stopping.wait(self._delays.get(method, 0))

        truncated = method in MESSAGE_METHODS and truncate_text(str(args.get("text") or ""))[1]
        call = Call(method, args, token, arrived, truncated=truncated)
        try:
            handler = self._methods.get(method)
            if handler is None:
                raise SlackError("unknown_method")
            self._check_token(method, token)
            with self._cond:
                result = handler(args)
        except SlackError as refusal:
            return self._refuse(_with_error(call, refusal.error), refusal.messages)
        self._record(call)
        return _json_reply({"ok": True, **result})

    def _answer_upload(self, file_id: str, raw: bytes) -> _Reply:
        with self._cond:
            file = self._files.get(file_id)
            if file is None:
                return _Reply(404, b"file not found", "text/plain")
            file.content = raw
        return _Reply(200, f"OK - {len(raw)}".encode(), "text/plain")

    def _answer_response_url(self, token: str, raw: bytes, arrived: float) -> _Reply:
        try:
            payload = _parse_body(raw, "application/json")
        except SlackError:
            payload = {}
        call = Call("response_url", payload, token, arrived, truncated=truncate_text(str(payload.get("text", "")))[1])
        error: str | None
        with self._cond:
            uses = self._response_urls.get(token)
            if uses is None:
                error, status = "expired_url", 404
            elif uses >= RESPONSE_URL_USES:
                error, status = "used_url", 404
            else:
                self._response_urls[token] = uses + 1
                problem = None if payload.get("delete_original") else check_message(payload)
                error, status = (problem.error, 400) if problem else (None, 200)
        if error is not None:
            self._record(_with_error(call, error, status))
            return _Reply(status, error.encode(), "text/plain")
        self._record(call)
        return _json_reply({"ok": True})

    def _refuse(self, call: Call, messages: list[str]) -> _Reply:
        self._record(call)
        body: dict[str, Any] = {"ok": False, "error": call.error}
        if messages:
            body["response_metadata"] = {"messages": messages}
        return _json_reply(body)

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def _take_rate_limit(self, method: str) -> int | None:
        with self._cond:
            pending = self._rate_limits.get(method)
            return pending.popleft() if pending else None

    def _check_token(self, method: str, token: str | None) -> None:
        if not token:
            raise SlackError("not_authed")
        valid = token in self.tokens if self.tokens is not None else token.startswith(("xoxb-", "xapp-"))
        if not valid:
            raise SlackError("invalid_auth")
        if token.startswith("xapp-") != (method in APP_TOKEN_METHODS):
            raise SlackError("not_allowed_token_type")

    # -- Web API methods (called with self._cond held) ---------------------------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{workspace.TEAM_DOMAIN}.slack.com/",
            "team": workspace.TEAM_NAME,
            "user": workspace.BOT_NAME,
            "team_id": workspace.TEAM_ID,
            "user_id": workspace.BOT_USER_ID,
            "bot_id": workspace.BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _require_channel(args)
        message = self._new_message(args)
        self._messages[(channel, message["ts"])] = message
        return {"channel": channel, "ts": message["ts"], "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _require_channel(args)
        ts = str(args.get("ts") or "")
        message = self._messages.get((channel, ts))
        if message is None:  # only the bot's own, non-ephemeral messages can be edited
            raise SlackError("message_not_found")
        _check_message(args)
        text, _ = truncate_text(str(args.get("text") or ""))
        message.update(text=text, edited={"user": workspace.BOT_USER_ID, "ts": self._next_ts()})
        for key in ("blocks", "attachments"):
            if key in args:
                message[key] = args[key]
        return {"channel": channel, "ts": ts, "text": text, "message": dict(message)}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        _require_channel(args)
        if not args.get("user"):
            raise SlackError("user_not_in_channel")
        return {"message_ts": self._new_message(args)["ts"]}

    def _new_message(self, args: dict[str, Any]) -> dict[str, Any]:
        _check_message(args)
        text, _ = truncate_text(str(args.get("text") or ""))
        message: dict[str, Any] = {
            "type": "message",
            "user": workspace.BOT_USER_ID,
            "bot_id": workspace.BOT_ID,
            "app_id": workspace.APP_ID,
            "team": workspace.TEAM_ID,
            "text": text,
            "ts": self._next_ts(),
        }
        for key in ("blocks", "attachments", "thread_ts"):
            if args.get(key):
                message[key] = args[key]
        return message

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(args.get("user", "")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": _user_object(user)}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channels.get(str(args.get("channel", "")))
        if channel is None:
            raise SlackError("channel_not_found")
        return {"channel": _channel_object(channel)}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        users = self._usergroups.get(str(args.get("usergroup", "")))
        if users is None:
            raise SlackError("no_such_subteam")
        return {"users": list(users)}

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts, name = (str(args.get(key) or "") for key in ("channel", "timestamp", "name"))
        if not channel or not ts:
            raise SlackError("no_item_specified")
        if not name:
            raise SlackError("invalid_name")
        if (channel, ts, name) in self._reactions:
            raise SlackError("already_reacted")
        self._reactions.add((channel, ts, name))
        return {}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        url = self.socket_mode.url if self.socket_mode is not None else self.socket_mode_url
        if url is None:
            raise SlackError("socket_mode_not_configured", "[ERROR] give FakeSlackWebAPI a socket_mode server or URL")
        return {"url": url}

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename, length = args.get("filename"), str(args.get("length", ""))
        if not filename or not length.isdigit():
            raise SlackError("invalid_arguments", "[ERROR] filename and length are required")
        file_id = f"F{next(self._ids):08d}"
        self._files[file_id] = _File(file_id, str(filename), int(length))
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments", "[ERROR] files must be a non-empty JSON array")
        done = []
        for entry in entries:
            file = self._files.get(str(entry.get("id")) if isinstance(entry, dict) else "")
            if file is None or file.content is None:
                raise SlackError("file_not_found", f"[ERROR] no uploaded file {entry!r}")
            file.title = entry.get("title") or file.filename
            file.channel = args.get("channel_id") or args.get("channels")
            file.initial_comment = args.get("initial_comment")
            file.thread_ts = args.get("thread_ts")
            done.append({"id": file.file_id, "title": file.title, "name": file.filename, "size": len(file.content)})
        return {"files": done}

    def _next_ts(self) -> str:
        micros = FIRST_TS + 100 * next(self._ids)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins request threads, so nothing outlives stop()
    block_on_close = True

    def __init__(self, fake: FakeSlackWebAPI) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, http_method: str) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.server.fake._answer(http_method, self.path, headers, raw)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read calls(), not an access log


def _bearer(authorization: str) -> str | None:
    scheme, _, credentials = authorization.partition(" ")
    return (credentials.strip() or None) if scheme.lower() == "bearer" else None


def _flatten(form: dict[str, list[str]]) -> dict[str, Any]:
    return {key: values[0] if len(values) == 1 else values for key, values in form.items()}


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    kind = content_type.split(";")[0].strip().lower()
    if not raw:
        return {}
    body: dict[str, Any]
    if kind == "application/json":
        try:
            decoded = json.loads(raw)
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(decoded, dict):
            raise SlackError("invalid_json")
        body = decoded
    elif kind in ("application/x-www-form-urlencoded", ""):
        body = _flatten(parse_qs(raw.decode("utf-8"), keep_blank_values=True))
    else:
        raise SlackError("invalid_form_data", f"[ERROR] unsupported content type {content_type!r}")
    for key in JSON_FIELDS:
        if isinstance(body.get(key), str):
            # Left a string when it is not JSON: check_message refuses it as Slack does (invalid_blocks_format).
            with contextlib.suppress(ValueError):
                body[key] = json.loads(body[key])
    return body


def _json_reply(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(status, json.dumps(body).encode(), headers=headers or {})


def _with_error(call: Call, error: str, status: int = 200) -> Call:
    return Call(call.method, call.args, call.token, call.at, error, status, call.truncated)


def _require_channel(args: dict[str, Any]) -> str:
    channel = args.get("channel")
    if not channel:
        raise SlackError("channel_not_found")
    return str(channel)


def _check_message(args: dict[str, Any]) -> None:
    problem = check_message(args)
    if problem:
        raise SlackError(problem.error, problem.detail)


def _user_object(user: _User) -> dict[str, Any]:
    return {
        "id": user.id,
        "team_id": user.team,
        "name": user.name,
        "deleted": False,
        "real_name": user.real_name,
        "tz": "Europe/London",
        "is_admin": False,
        "is_owner": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": 1_700_000_000,
        "profile": {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.name,
            "display_name_normalized": user.name,
            "team": user.team,
        },
    }


def _channel_object(channel: _Channel) -> dict[str, Any]:
    base: dict[str, Any] = {"id": channel.id, "created": 1_700_000_000, "is_im": channel.is_im, "is_archived": False}
    if channel.is_im:
        return {**base, "user": channel.user, "is_user_deleted": False}
    return {
        **base,
        "name": channel.name,
        "name_normalized": channel.name,
        "is_channel": True,
        "is_group": False,
        "is_private": False,
        "is_general": False,
        "is_member": True,
        "is_ext_shared": False,
    }

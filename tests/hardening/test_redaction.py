"""No secret in any error: one redaction for connection URLs, used by every message, log line and
endpoint; Redis URLs checked at start-up with a one-line error naming what is wrong."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from typing import Any

import pytest

from bot.logs import JsonFormatter, RedactingFormatter
from bot.ops import Readiness
from bot.settings import Settings
from commands.errors import StoreUnavailable
from integrations.cluster.simulated import SimulatedCluster
from integrations.redact import redact_text, redact_url
from integrations.store.redis_store import RedisStore
from integrations.store.redis_url import redis_url_problem
from tests.redis_server import free_port

SECRET = "hunter2-s3cret"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
        (f"redis://:{SECRET}@host:6380/1", "redis://:***@host:6380/1"),
        (f"rediss://user:{SECRET}@host/0", "rediss://user:***@host/0"),
        (f"redis://{SECRET}@host", "redis://***@host"),  # a lone userinfo: some clients take it as the password
        (f"redis://host:6379/0?password={SECRET}", "redis://host:6379/0?password=***"),
        (
            f"redis://host/0?db=2&PassWord={SECRET}&socket_timeout=5",
            "redis://host/0?db=2&PassWord=***&socket_timeout=5",
        ),
        (f"redis://host/0?ssl_password={SECRET}&colour={SECRET}", "redis://host/0?ssl_password=***&colour=***"),
        (f"unix:///run/redis.sock?password={SECRET}", "unix:///run/redis.sock?password=***"),
        (f"redis://u:{SECRET}@[::1]:6379/0", "redis://u:***@[::1]:6379/0"),
        (f"redis://host:6379/0#{SECRET}", "redis://host:6379/0"),
        (f"redis://:{SECRET}@host:99x/0", "redis://***@host:99x/0"),  # unparsable port: masked all the same
        (f"redis://:pa/{SECRET}@host:6379", "redis://***"),  # an unescaped `/` in the password
        (f"redis://:pa#{SECRET}@host", "redis://***"),
        (f"redis://:pa?{SECRET}@host", "redis://***"),
    ],
)
def test_every_redaction_case(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert SECRET not in redact_text(f"Error connecting to {url}: refused")


def test_urls_inside_longer_text_are_redacted_and_the_rest_kept() -> None:
    text = f"a (redis://:{SECRET}@db:6379/0?password={SECRET}), then 'https://bot:{SECRET}@example.com/x' and ok"
    assert redact_text(text) == "a (redis://:***@db:6379/0?password=***), then 'https://bot:***@example.com/x' and ok"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://redis:6379", "must start with redis://, rediss:// (TLS) or unix://"),
        ("redis:6379", "must start with redis://"),
        ("redis://", "names no host"),
        ("redis://h:99999", "has a port that is not a number from 1 to 65535"),
        ("redis://h:port", "has a port that is not a number"),
        ("redis://h:0", "has port 0"),
        ("redis://h/abc", "has `/abc` where the database number goes"),
        ("redis://h?colour=blue", "has an unknown option `colour`"),
        ("redis://h?db=x", "has an invalid `db`: it must be a whole number"),
        ("redis://h?socket_timeout=soon", "it must be a number of seconds"),
        (f"redis://:pa/{SECRET}@host:6379", "is there a `/`, `?` or `#` in the password?"),
        ("unix://", "names no socket"),
    ],
)
def test_malformed_redis_urls_say_what_is_wrong(url: str, problem: str) -> None:
    found = redis_url_problem(url)
    assert found is not None and problem in found
    assert SECRET not in found and "\n" not in found


@pytest.mark.parametrize(
    "url", ["redis://localhost:6379/0", "rediss://:pw@h:6380/2?ssl_cert_reqs=required", "unix:///r.sock"]
)
def test_good_redis_urls_pass(url: str) -> None:
    assert redis_url_problem(url) is None


def test_malformed_urls_stop_the_start_with_one_line_and_no_traceback() -> None:
    env = {**os.environ, "PILOTHOUSE_REDIS_URL": f"redis://:{SECRET}@localhost:65536/0", "HOME": os.environ["HOME"]}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli"], input="", env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "PILOTHOUSE_REDIS_URL" in done.stderr and "port" in done.stderr
    assert SECRET not in done.stderr + done.stdout and "Traceback" not in done.stderr


def test_settings_never_quote_a_rejected_url() -> None:
    with pytest.raises(Exception) as e:
        Settings(redis_url=f"redis://:{SECRET}@h/abc")
    assert SECRET not in str(e.value) and SECRET not in repr(e.value)


def test_a_store_error_names_the_store_but_not_its_password() -> None:
    store = RedisStore(f"redis://:{SECRET}@127.0.0.1:{free_port()}/0?password={SECRET}", timeout=0.5)
    with pytest.raises(StoreUnavailable) as e:
        store.ping()
    assert "cannot be used" in str(e.value) and "127.0.0.1" in str(e.value)
    assert SECRET not in str(e.value)


def test_readyz_says_which_check_failed_and_nothing_about_where() -> None:
    store = RedisStore(f"redis://:{SECRET}@127.0.0.1:{free_port()}/0", timeout=0.5)
    ready, checks = Readiness(store).check()
    assert not ready and checks == {"store": "unavailable"}


@pytest.mark.parametrize("formatter", [JsonFormatter(), RedactingFormatter("%(message)s")])
def test_log_lines_are_redacted_whoever_writes_them(formatter: logging.Formatter) -> None:
    record = logging.LogRecord(
        "redis", logging.ERROR, __file__, 1, "cannot reach %s", (f"redis://:{SECRET}@h/0",), None
    )
    try:
        raise RuntimeError(f"boom at rediss://u:{SECRET}@h/1?password={SECRET}")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert SECRET not in line and "redis://:***@h/0" in line
    if isinstance(formatter, JsonFormatter):
        assert "rediss://u:***@h/1" in json.loads(line)["error"]


def test_an_error_reply_never_quotes_a_password() -> None:
    from commands.errors import Unreachable
    from tests.chat import chat

    class Leaky(SimulatedCluster):
        def table(self, *args: Any, **options: Any) -> Any:  # `get`'s generic read path
            raise Unreachable(self.name, f"proxy https://ops:{SECRET}@proxy.internal:3128 refused the connection")

    text = chat(Leaky.demo("demo")).say("get pods")
    assert "could not be reached" in text and "https://ops:***@proxy.internal:3128" in text
    assert SECRET not in text

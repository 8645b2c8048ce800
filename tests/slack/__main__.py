"""`python -m tests.slack try "get pods -n shop" [--env-file slack/example.env]`

A contributor recipe: run `pilothouse` (as a user would, with the example env file) against the
fake Slack on loopback, send it one signed slash command, and print the Block Kit reply.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tests.slack import signing, workspace
from tests.slack.process import pilothouse
from tests.slack.signing import SlackSender
from tests.slack.web_api import FakeSlackWebAPI

ROOT = Path(__file__).resolve().parents[2]


def _env_file_values(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def try_command(text: str, env_file: Path) -> int:
    secret = _env_file_values(env_file)["PILOTHOUSE_SLACK_SIGNING_SECRET"]
    with FakeSlackWebAPI() as fake:
        fake.add_user(workspace.USER_ID, workspace.USER_NAME, real_name="Alice Example")
        fake.add_channel(workspace.CHANNEL_ID, workspace.CHANNEL_NAME)
        with pilothouse(fake, "--env-file", str(env_file)) as (_, port):
            url = fake.response_url()
            body, content_type = signing.slash_command("/pilot", text, response_url=url)
            status = SlackSender(f"http://127.0.0.1:{port}/slack/events", secret).send(body, content_type).status
            print(f"# POST /slack/events (signed slash command `/pilot {text}`): HTTP {status}")
            reply = fake.wait_for("response_url", timeout=20)[0]
            print(json.dumps(reply.args, indent=2))
            for rejected in fake.errors():
                print(f"# the fake Slack refused {rejected.method}: {rejected.error}", file=sys.stderr)
            return 0 if status == 200 and not fake.errors() else 1


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.slack", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    attempt = sub.add_parser("try", help="answer one slash command through the fake Slack")
    attempt.add_argument("text")
    attempt.add_argument("--env-file", type=Path, default=ROOT / "slack" / "example.env")
    args = parser.parse_args()
    return try_command(args.text, args.env_file)


if __name__ == "__main__":
    sys.exit(main())

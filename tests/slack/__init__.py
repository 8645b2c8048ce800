"""A project-owned fake Slack on loopback for end-to-end tests of the Bolt app.

- `web_api.FakeSlackWebAPI`: the Web API (``WebClient(base_url=fake.api_url)``), response_url and file uploads.
- `socket_mode.FakeSocketModeServer`: the Socket Mode websocket that ``SocketModeHandler`` connects to.
- `signing`: payloads exactly as Slack sends them, signed, and a small HTTP sender.
- `fixtures`: the ``fake_slack`` pytest fixture; `harness`: run a Bolt app over HTTP or Socket Mode.
"""

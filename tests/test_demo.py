"""The zero-setup demo through the whole pipeline: parse → policy → simulated cluster → reply."""

from __future__ import annotations

import json

import pytest

from bot.audit import AuditLog
from commands.replies import Table
from integrations.cluster.simulated import SimulatedCluster
from integrations.store.memory import MemoryStore
from tests.chat import Chat, chat
from tests.policies import demo_admin, nobody, shaped


@pytest.fixture
def demo() -> Chat:
    return chat(SimulatedCluster.demo(), policy=demo_admin("alice"))


def rows(c: Chat) -> list[tuple[str, ...]]:
    return [r for b in c.last.blocks if isinstance(b, Table) for r in b.rows]


def test_get_pods_lists_the_demo_pods(demo: Chat) -> None:
    text = demo.say("get pods -n shop")
    assert text.startswith("Pods in namespace `shop` on `demo`")
    statuses = {r[0].rsplit("-", 2)[0]: r[2] for r in rows(demo)}
    assert statuses == {"cart": "Running", "checkout": "CrashLoopBackOff", "search": "Pending", "web": "Running"}
    assert len(rows(demo)) == 7  # web 3, cart 2, checkout 1, search 1


def test_all_namespaces_adds_a_namespace_column(demo: Chat) -> None:
    demo.say("get pods -A")
    namespaces = {r[0] for r in rows(demo)}
    assert namespaces == {"shop", "payments", "data", "kube-system"}


def test_label_selector_filters(demo: Chat) -> None:
    demo.say("get pods -n shop -l app=web")
    assert len(rows(demo)) == 3
    assert "No pods matching `app=nothing`." in demo.say("get pods -n shop -l app=nothing")


def test_status_names_the_crashlooping_and_pending_pods(demo: Chat) -> None:
    text = demo.say("status -n shop")
    assert "Pods:        5 running, 1 pending, 1 failing" in text
    assert "CrashLoopBackOff (14 restarts, last exit Error (exit 1))" in text
    assert "Pending: 0/2 nodes are available: 1 node(s) didn't match node selector" in text
    assert "node/node-2" in text and "NotReady" in text
    assert "⚠ 5 problems need attention." in text


def test_status_of_a_healthy_namespace(demo: Chat) -> None:
    text = demo.say("status -n payments")
    assert "Deployments: 2/2 fully available" in text
    assert "pod/" not in text


def test_logs_of_a_deployment(demo: Chat) -> None:
    text = demo.say("logs deploy/web --tail 5")  # the demo's default namespace is shop
    lines = text.splitlines()
    assert lines[0].startswith("Last 5 lines of `shop/web-")
    assert len(lines) == 6
    assert all('"GET /products/' in line for line in lines[1:])


def test_logs_of_a_pod_with_two_containers_names_the_choice(demo: Chat) -> None:
    text = demo.say("logs deploy/api -n payments --tail 2")
    assert "Showing container `api` of api, envoy; choose with `-c`." in text
    text = demo.say("logs deploy/api -n payments --tail 2 -c envoy")
    assert "(envoy)" in text and "Showing container" not in text
    text = demo.say("logs deploy/api -n payments -c nginx")
    assert "has no container `nginx`; it has: api, envoy" in text


def test_logs_of_an_unscheduled_pod_explain_why_there_are_none(demo: Chat) -> None:
    text = demo.say("logs deploy/search")
    assert "has no logs: it is not scheduled (0/2 nodes are available" in text


def test_describe_deployment_shows_pods_conditions_and_events(demo: Chat) -> None:
    text = demo.say("describe deployment checkout")
    assert "Replicas:  1 desired | 1 updated | 0 ready | 0 available" in text
    assert "MinimumReplicasUnavailable" in text
    assert "BackOff" in text and "x41" in text
    assert "⚠ Only 0/1 available." in text


def test_describe_pod_shows_containers_and_last_termination(demo: Chat) -> None:
    demo.say("get pods -l app=checkout")
    pod = rows(demo)[0][0]
    text = demo.say(f"describe pod {pod}")
    assert "waiting: CrashLoopBackOff" in text
    assert "Error (exit 1)" in text
    assert "Controlled by: ReplicaSet/checkout-" in text


def test_history_lists_revisions_with_change_causes(demo: Chat) -> None:
    demo.say("history web")
    revisions = rows(demo)
    assert [r[0] for r in revisions] == ["1", "2 (current)"]
    assert revisions[0][1] == "nginx:1.25.2" and revisions[1][1] == "nginx:1.25.3"
    assert "fix CVE-2023-44487" in revisions[1][3]


def test_events_put_warnings_first(demo: Chat) -> None:
    demo.say("get events -A")
    assert {r[2] for r in rows(demo)} == {"Warning"}
    assert {r[3] for r in rows(demo)} >= {"BackOff", "FailedScheduling", "NodeNotReady"}


def test_nodes_and_namespaces(demo: Chat) -> None:
    demo.say("get nodes")
    assert [(r[0], r[1]) for r in rows(demo)] == [("node-1", "Ready"), ("node-2", "NotReady")]
    demo.say("get ns")
    assert {"shop", "payments", "default", "kube-system"} <= {r[0] for r in rows(demo)}


def test_not_found_suggests_similar_names(demo: Chat) -> None:
    text = demo.say("describe deployment chekout")
    assert "deployment `chekout` not found in namespace `shop` on cluster `demo`." in text
    assert "Similar names: `checkout`." in text
    assert "namespace `shoop` not found" in demo.say("get pods -n shoop")
    assert "Similar names: `shop`" in demo.say("status -n shoop")


def test_unknown_cluster_lists_the_known_ones(demo: Chat) -> None:
    text = demo.say("get pods --cluster prod")
    assert "No cluster named `prod` is configured." in text
    assert "Known clusters: `demo`." in text


def test_bad_input_gets_one_clear_error_and_the_chat_goes_on(demo: Chat) -> None:
    assert demo.say('get pods -n "shop').startswith("✖ Unbalanced quotes")
    assert demo.say("gte pods").startswith("✖ Unknown command `gte pods`.")
    assert not demo.last.ok
    assert "Pods in namespace `shop`" in demo.say("get pods -n shop")


def test_long_lists_are_cut_honestly() -> None:
    cluster = SimulatedCluster.demo()
    from integrations.cluster import demo as seed

    cluster.apply_deployment(seed.deployment("shop", "big", 60, [{"name": "c", "image": "nginx:1"}], change_cause="x"))
    c = chat(cluster)
    text = c.say("get pods -n shop")
    assert len(rows(c)) == 50
    assert text.endswith("… and 17 more")


def test_help_hides_what_the_policy_forbids(demo: Chat) -> None:
    assert "more command(s) exist" not in demo.say("help")
    deny_reads = shaped({"deny": [{"name": "nobody", "commands": ["read"]}]})
    text = chat(SimulatedCluster.demo(), policy=deny_reads).say("help")
    assert "get pods [-n" not in text
    from commands import default_registry

    hidden = sum(1 for spec in default_registry() if spec.access != "meta")
    assert f"{hidden} more command(s) exist that you may not run here." in text
    assert "whoami" in text


def test_help_for_one_command(demo: Chat) -> None:
    assert "logs POD|deploy/NAME" in demo.say("help logs")
    assert "Unknown command `lgos`" in demo.say("help lgos")


def test_policy_denial_names_the_rule() -> None:
    policy = shaped({"deny": [{"name": "no-payments", "namespaces": ["payments"], "reason": "PCI scope"}]})
    c = chat(SimulatedCluster.demo(), policy=policy)
    text = c.say("get pods -n payments")
    assert text.startswith("✖ You may not run `get pods` in namespace `payments` on `demo` from here: PCI scope.")
    assert "Decided by deny rule `no-payments`." in text
    assert "Pods in namespace `shop`" in c.say("get pods")


def test_whoami_shows_identity_and_rights(demo: Chat) -> None:
    text = demo.say("whoami")
    assert "You:     alice" in text
    assert "Groups:  admins" in text
    assert "every command       demo      *           cluster-wide too  `demo-admin` (role `admin`)" in text


def test_every_message_leaves_one_audit_record_without_raw_text() -> None:
    store = MemoryStore()
    c = chat(SimulatedCluster.demo(), store=store)
    c.say("get pods -n shop")
    c.say("gte pods xoxb-secret-token")
    c.say("describe pod nope")
    records = AuditLog(store).recent(10)
    assert [r.outcome for r in records] == ["failed", "invalid", "ok"]  # reads record no intent
    assert records[2].command == "get pods" and records[2].args == {"namespace": "shop", "kind": "pods"}
    assert records[2].namespace == "shop" and records[2].rule == "reads-for-everyone"
    assert records[0].error == "NotFound"
    assert "xoxb" not in json.dumps([r.model_dump(mode="json") for r in records])


def test_an_internal_error_gives_a_reference_and_no_traceback(demo: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(SimulatedCluster, "table", broken)
    text = demo.say("get nodes")
    assert text.startswith("✖ Something went wrong inside Pilothouse; nothing was changed.")
    assert "reference: " in text and demo.last.request_id in text
    assert "boom" not in text and "Traceback" not in text


def test_use_sets_personal_defaults_for_cluster_and_namespace() -> None:
    store = MemoryStore()
    cluster = SimulatedCluster.demo()
    alice = chat(cluster, policy=demo_admin("alice"), store=store)
    bob = chat(cluster, policy=demo_admin("alice"), store=store, user="bob")
    assert "Cluster:   demo (the default)" in alice.say("use")
    text = alice.say("use -n payments")
    assert "Namespace: payments" in text
    assert alice.say("get pods").startswith("Pods in namespace `payments`")
    assert alice.say("get pods -n shop").startswith("Pods in namespace `shop`")  # named wins
    assert alice.say("get pods -A").startswith("Pods in all namespaces")
    assert bob.say("get pods").startswith("Pods in namespace `shop`")  # defaults are per person
    assert "No cluster named `prod` is configured." in alice.say("use --cluster prod")
    assert "Invalid `--namespace`" in alice.say("use -n Bad_NS")
    assert "cleared" in alice.say("use --clear")
    assert alice.say("get pods").startswith("Pods in namespace `shop`")


def test_a_channel_can_have_its_own_cluster() -> None:
    from bot.pipeline import Pipeline
    from commands import default_registry
    from commands.errors import UnknownCluster
    from integrations.cluster.clusters import Clusters
    from tests.chat import Chat

    clusters = Clusters([SimulatedCluster.demo("demo"), SimulatedCluster.demo("prod")], "demo")
    pipeline = Pipeline(
        registry=default_registry(),
        policy=nobody(),
        clusters=clusters,
        store=MemoryStore(),
        channel_clusters={"C-PROD": "prod"},
    )
    in_prod, elsewhere = Chat(pipeline, channel="C-PROD"), Chat(pipeline, channel="C-DEV")
    assert in_prod.say("get nodes").startswith("Nodes on `prod`")
    assert elsewhere.say("get nodes").startswith("Nodes on `demo`")
    assert in_prod.say("get nodes --cluster demo").startswith("Nodes on `demo`")  # named wins
    assert "prod (this channel's)" in in_prod.say("use")
    in_prod.say("use --cluster demo")  # a person's default wins over the channel's
    assert in_prod.say("get nodes").startswith("Nodes on `demo`")
    with pytest.raises(UnknownCluster):
        Pipeline(
            registry=default_registry(),
            policy=nobody(),
            clusters=clusters,
            store=MemoryStore(),
            channel_clusters={"C-X": "staging"},
        )


def test_get_one_object_by_name_like_kubectl(demo: Chat) -> None:
    text = demo.say("get deploy web")
    assert "web   3/3" in text and "cart" not in text
    assert "Similar names: `web`." in demo.say("get deploy wbe")
    assert "give either a NAME or `-l SELECTOR`, not both" in demo.say("get pods web -l app=web")
    assert "NotReady" in demo.say("get node node-2")
    assert "namespace `nope` not found" in demo.say("get deploy web -n nope")
    demo.say("get deploy")  # no name: no topic
    assert "3 → 4" in demo.say("scale 4")  # the topic is still `web`, from `get deploy web`

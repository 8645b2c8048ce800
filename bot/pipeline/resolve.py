"""Step 1 and 2: from the message's text to a complete command — defaults and topic, parse.

A conversation's question is completed by the next message; a command that lacks arguments
asks for them; a command about a Deployment makes it the conversation's topic; `use` sets a
person's defaults. Nothing here decides permissions: whatever cluster and namespace a command
ends up with (typed, the topic's, the person's or the channel's), the policy checks that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from bot.conversation import QUESTION_SECONDS, Conversation, Conversations, Question, Topic
from bot.defaults import Defaults, DefaultsStore
from bot.message import Message
from commands.errors import MissingArguments, UnknownCommand
from commands.meta import Use
from commands.parser import Parsed, parse
from commands.read import GetResources, InNamespace, OnCluster
from commands.registry import Registry
from commands.replies import Fields, Heading, Notice, Paragraph, Reply
from integrations.cluster.clusters import Clusters


def about(parsed: Parsed) -> str | None:
    """The Deployment a command names, where a conversation's topic could have named it."""
    param = parsed.spec.topic
    value = getattr(parsed.action, param.name, None) if param is not None else parsed.action.about()
    return value if isinstance(value, str) else None


def _from_topic(message: Message, parsed: Parsed, topic: Topic | None) -> Parsed:
    """The topic's cluster and namespace, in a thread or for the topic's own Deployment."""
    action = parsed.action
    if topic is None or not isinstance(action, OnCluster) or action.cluster not in (None, topic.cluster):
        return parsed
    if message.thread is None and about(parsed) != topic.deployment:
        return parsed
    inherited = {"cluster": topic.cluster}
    if isinstance(action, InNamespace) and action.namespace is None:
        inherited["namespace"] = topic.namespace
    return Parsed(parsed.spec, action.model_copy(update=inherited))


class Resolver:
    def __init__(
        self,
        *,
        registry: Registry,
        clusters: Clusters,
        conversations: Conversations,
        defaults: DefaultsStore,
        channel_clusters: Mapping[str, str],
        clock: Callable[[], datetime],
    ) -> None:
        self.registry = registry
        self.clusters = clusters
        self.conversations = conversations
        self.defaults = defaults
        self.channel_clusters = channel_clusters
        self._clock = clock

    def parse(self, message: Message, conversation: Conversation) -> Parsed:
        topic = conversation.topic.deployment if conversation.topic else None
        try:
            return parse(message.text, self.registry, topic=topic)
        except UnknownCommand:
            question = conversation.question
            if question is None or question.user != message.user or question.expires < self._clock().timestamp():
                raise
        # Not a command: the answer to the question asked here, which it completes.
        self.conversations.save(message, conversation.model_copy(update={"question": None}))
        return parse(f"{question.command} {message.text}", self.registry, topic=topic)

    def ask(self, message: Message, conversation: Conversation, missing: MissingArguments) -> Reply:
        """Ask for what a command lacks; the person's next message here completes it."""
        expires = self._clock().timestamp() + QUESTION_SECONDS
        question = Question(user=message.user, command=missing.command, missing=missing.missing, expires=expires)
        self.conversations.save(message, conversation.model_copy(update={"question": question}))
        wanted = " and ".join(f"`{m}`" for m in missing.missing)
        return Reply(
            (
                Notice("info", missing.message),
                Paragraph(f"Reply with {wanted} to run `{missing.command} {' '.join(missing.missing)}`, or `no`."),
                Paragraph(f"Usage: `{missing.usage}`"),
            )
        )

    def remember(
        self, message: Message, conversation: Conversation, parsed: Parsed, cluster: str | None, namespace: str | None
    ) -> None:
        """A command about a Deployment makes it the conversation's topic; any command ends a question."""
        topic = conversation.topic
        name = about(parsed)
        if name is not None and cluster and namespace:
            topic = Topic(cluster=cluster, namespace=namespace, deployment=name)
        if topic != conversation.topic or conversation.question is not None:
            self.conversations.save(message, Conversation(topic=topic))

    def with_defaults(self, message: Message, parsed: Parsed, topic: Topic | None = None) -> Parsed:
        """Fill in the cluster and namespace where the command names none: the conversation's
        (in a thread, or for its own Deployment), else the person's defaults, else the channel's."""
        if not isinstance(parsed.action, OnCluster):
            return parsed
        parsed = _from_topic(message, parsed, topic)
        action = parsed.action
        assert isinstance(action, OnCluster)
        defaults = self.defaults.get(message.user)
        update: dict[str, str] = {}
        if action.cluster is None:
            cluster = defaults.cluster or self.channel_clusters.get(message.channel)
            if cluster is not None:
                update["cluster"] = cluster
        everywhere = isinstance(action, GetResources) and action.all_namespaces
        if isinstance(action, InNamespace) and action.namespace is None and not everywhere and defaults.namespace:
            update["namespace"] = defaults.namespace
        return Parsed(parsed.spec, action.model_copy(update=update)) if update else parsed

    def use(self, message: Message, action: Use) -> Reply:
        if action.clear:
            self.defaults.clear(message.user)
            return Reply((Notice("ok", "Your defaults are cleared: each cluster's own default applies."),))
        current = self.defaults.get(message.user)
        if action.cluster is not None or action.namespace is not None:
            if action.cluster is not None:
                self.clusters.get(action.cluster)  # UnknownCluster, listing the known ones
            current = Defaults(action.cluster or current.cluster, action.namespace or current.namespace)
            self.defaults.set(message.user, current)
        here = self.channel_clusters.get(message.channel)
        fallback = f"{here} (this channel's)" if here else f"{self.clusters.default} (the default)"
        cluster = current.cluster or fallback
        namespace = current.namespace or "the cluster's default"
        return Reply((Heading("Your defaults"), Fields((("Cluster", cluster), ("Namespace", namespace)))))

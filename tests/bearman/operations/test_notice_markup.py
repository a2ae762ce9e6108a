"""Agent-written text reaches Slack as text: no pings, no disguised links, no formatting tricks.

Slack's mrkdwn gives `<…>` meaning (`<!channel>` pings everyone, `<http://x|words>` shows
words for a link) and escapes with &amp; &lt; &gt;. A message from ReportFailed or a serial
from Register is the agent's; only the admin link is ours.
"""

import pytest

from bearman.models import NoticeKind
from bearman.services.notices import notice_raise, notices_flush
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db
HOSTILE = "disk full <!channel> see <http://evil.example|Click here> & <@U024BE7LH>"
ESCAPED = (
    "disk full &lt;!channel&gt; see &lt;http://evil.example|Click here&gt; &amp; &lt;@U024BE7LH&gt;"
)


def sent_text(webhook, count: int) -> str:
    assert notices_flush() == count
    (post,) = webhook.posts
    return post["text"]


def test_an_agent_message_is_escaped_in_the_slack_text(webhook):
    node = NodeFactory(serial="SN<!here>")
    notice_raise(node=node, kind=NoticeKind.BAREMETAL_FAILED, message=HOSTILE)
    text = sent_text(webhook, 1)
    assert ESCAPED in text and "serial SN&lt;!here&gt;" in text
    assert "<!channel>" not in text and "<!here>" not in text and "<http://evil" not in text
    # Our own link to the node's admin page stays a link.
    assert "|admin>" in text and "<https://bearman.example.test/admin/" in text


def test_each_notice_of_a_rolled_up_message_is_escaped(webhook):
    for node in NodeFactory.create_batch(3):
        notice_raise(node=node, kind=NoticeKind.REGISTRATION_FAILED, message=HOSTILE)
    text = sent_text(webhook, 3)
    assert text.count(ESCAPED) == 3 and "<!channel>" not in text


def test_the_notice_data_keeps_the_agents_words_as_they_were(webhook):
    notice_raise(node=NodeFactory(), kind=NoticeKind.BAREMETAL_FAILED, message=HOSTILE)
    assert notices_flush() == 1
    assert webhook.posts[0]["notices"][0]["message"] == HOSTILE

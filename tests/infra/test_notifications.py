"""The chat messages of tests/golden (which the Rust golden test compares byte for byte with what the
doctor renders) validated against the custom notification schema, for a diagnosed, an inconclusive
and an applied-fix report."""

import json
import pathlib
import unittest

import jsonschema

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests/infra/chatbot-custom-notification.schema.json").read_text())
CASES = ("diagnosed", "inconclusive", "applied-fix")


def message(case):
    return json.loads((ROOT / f"tests/golden/chat-{case}.json").read_text())


class ChatMessages(unittest.TestCase):
    def test_each_message_follows_the_schema(self):
        for case in CASES:
            with self.subTest(case=case):
                jsonschema.validate(message(case), SCHEMA, cls=jsonschema.Draft202012Validator)

    def test_the_schema_refuses_what_chat_does_not_take(self):
        # The validation has teeth: each of these breaks one documented rule.
        good = message("diagnosed")
        broken = [
            {**good, "version": "2.0"},
            {**good, "source": "aws.ecs"},
            {key: value for key, value in good.items() if key != "content"},
            {**good, "content": {**good["content"], "textType": "markdown"}},
            {**good, "content": {**good["content"], "nextSteps": "one string"}},
            {**good, "metadata": {**good["metadata"], "additionalContext": {"verdict": 1}}},
        ]
        for bad in broken:
            with self.subTest(bad=bad):
                with self.assertRaises(jsonschema.ValidationError):
                    jsonschema.validate(bad, SCHEMA, cls=jsonschema.Draft202012Validator)

    def test_what_a_person_must_see(self):
        diagnosed, inconclusive, fixed = (message(case) for case in CASES)
        self.assertIn("SECURITY_GROUP_BLOCKS_EGRESS", diagnosed["content"]["title"])
        self.assertIn("*Root cause:*", diagnosed["content"]["description"])
        self.assertIn("*Evidence:*", diagnosed["content"]["description"])
        self.assertIn("111122223333", diagnosed["content"]["description"])
        self.assertTrue(diagnosed["content"]["nextSteps"], "the fix")
        self.assertTrue(any(step.startswith("Not checked:") for step in inconclusive["content"]["nextSteps"]))
        self.assertTrue(fixed["content"]["nextSteps"][0].startswith("Applied "))
        self.assertEqual(diagnosed["metadata"]["threadId"], "ecs-pull-doctor/111122223333/prod/service/web")


if __name__ == "__main__":
    unittest.main()

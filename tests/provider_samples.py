"""Each email service's documented sample events, in the shapes its documentation shows them,
with the email_id added to the custom metadata as the tool sends it (SPEC §2c). Only that key
and the values a test needs to tell events apart (ids, timestamps) differ from the pages.

`samples(provider, email_id, key)` gives the events of one provider for one email, each as
(expected (event_type, bounce_type), document); None for an event with no meaning here.
"""

from __future__ import annotations

import copy
import json


def sendgrid(email_id: str, key: str = "email_id") -> list[tuple]:
    """twilio.com/docs/sendgrid/for-developers/tracking-events/event ("Event Webhook
    Reference"): one example per event; custom args arrive as top-level fields of the event
    ("Unique argument and custom argument properties")."""
    base = {"email": "alex@example.com", "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>", "category": "cat facts"}
    message = "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"
    events = [
        (
            None,
            {
                **base,
                "timestamp": 1513299569,
                "pool": {"name": "new_MY_test", "id": 210},
                "event": "processed",
                "sg_event_id": "rbtnWrG1DVDGGGFHFyun0A==",
                "sg_message_id": message,
            },
        ),
        (
            None,
            {
                **base,
                "domain": "example.com",
                "from": "test@example.com",
                "timestamp": 1513299570,
                "event": "deferred",
                "sg_event_id": "t7LEShmowp86DTdUW8M-GQ==",
                "sg_message_id": message,
                "response": "400 try again later",
                "attempt": "5",
            },
        ),
        (
            ("delivered", None),
            {
                **base,
                "timestamp": 1513299571,
                "event": "delivered",
                "sg_event_id": "rWVYmVk90MjZJ9iohOBa3w==",
                "sg_message_id": message,
                "response": "250 OK",
            },
        ),
        (
            ("bounced", "hard"),
            {
                **base,
                "timestamp": 1513299572,
                "bounce_classification": "Invalid Address",
                "event": "bounce",
                "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPw==",
                "sg_message_id": message,
                "reason": "500 unknown recipient",
                "status": "5.0.0",
                "type": "bounce",
            },
        ),
        (
            ("bounced", "soft"),
            {
                **base,
                "timestamp": 1513299573,
                "bounce_classification": "Invalid Address",
                "event": "bounce",
                "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPx==",
                "sg_message_id": message,
                "reason": "500 unknown recipient",
                "status": "5.0.0",
                "type": "blocked",
            },
        ),
        (
            None,
            {
                **base,
                "timestamp": 1513299574,
                "event": "dropped",
                "sg_event_id": "zmzJhfJgAfUSOW80yEbPyw==",
                "sg_message_id": message,
                "reason": "Bounced Address",
                "status": "5.0.0",
            },
        ),
        (
            ("opened", None),
            {
                "email": "alex@example.com",
                "timestamp": 1513299575,
                "event": "open",
                "sg_machine_open": False,
                "category": "cat facts",
                "sg_event_id": "FOTFFO0ecsBE-zxFXfs6WA==",
                "sg_message_id": message,
                "useragent": "Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)",
                "ip": "255.255.255.255",
            },
        ),
        (
            ("clicked", None),
            {
                "sg_event_id": "sendgrid_internal_event_id",
                "sg_message_id": message,
                "ip": "255.255.255.255",
                "useragent": "Mozilla/5.0 (iPhone; CPU iPhone OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53",
                "event": "click",
                "email": "email@example.com",
                "timestamp": 1513299576,
                "url": "http://example.com/blog/news.html",
                "url_offset": {"index": 0, "type": "html"},
                "unique_arg_key": "unique_arg_value",
                "category": ["category1", "category2"],
                "newsletter": {
                    "newsletter_user_list_id": "10557865",
                    "newsletter_id": "1943530",
                    "newsletter_send_id": "2308608",
                },
                "asm_group_id": 1,
            },
        ),
        (
            ("spam_reported", None),
            {
                **{k: base[k] for k in ("email", "smtp-id")},
                "timestamp": 1513299577,
                "event": "spamreport",
                "sg_event_id": "37nvH5QBz858KGVYCM4uOA==",
                "sg_message_id": message,
            },
        ),
        (
            ("unsubscribed", None),
            {
                "email": "alex@example.com",
                "timestamp": 1513299578,
                "event": "unsubscribe",
                "category": "cat facts",
                "sg_event_id": "zz_BjPgU_5pS-J8vlfB1sg==",
                "sg_message_id": message,
            },
        ),
        (
            ("unsubscribed", None),
            {
                **base,
                "timestamp": 1513299579,
                "event": "group_unsubscribe",
                "sg_event_id": "ahSCB7xYcXFb-hEaawsPRw==",
                "sg_message_id": message,
                "useragent": "Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)",
                "ip": "255.255.255.255",
                "url": "http://www.example.com/",
                "asm_group_id": 10,
            },
        ),
        (
            None,
            {
                **base,
                "timestamp": 1513299580,
                "event": "group_resubscribe",
                "sg_event_id": "w_u0vJhLT-OFfprar5N93g==",
                "sg_message_id": message,
                "useragent": "Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)",
                "ip": "255.255.255.255",
                "url": "http://www.example.com/",
                "asm_group_id": 10,
            },
        ),
    ]
    return [(expected, {**doc, key: email_id}) for expected, doc in events]


def mailgun(email_id: str, key: str = "email_id") -> list[tuple]:
    """documentation.mailgun.com/docs/mailgun/user-manual/webhooks/webhook-payloads: the
    payload `{"signature": ..., "event-data": ...}` of each event; X-Mailgun-Variables come back
    as `user-variables`. client-info.bot: ".../tracking-messages/open-click-bot-detect"."""
    message = {
        "headers": {
            "to": "Alice <alice@example.com>",
            "message-id": "20130503182626.18666.16540@sandbox.mailgun.org",
            "from": "Bob <bob@sandbox.mailgun.org>",
            "subject": "Test webhook",
        },
        "attachments": [],
        "size": 111,
    }
    client = {
        "client-os": "Linux",
        "device-type": "desktop",
        "client-name": "Chrome",
        "client-type": "browser",
        "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.31 (KHTML, like Gecko) Chrome/26.0.1410.43 Safari/537.31",
    }

    def payload(event_id, event, timestamp, **fields):
        data = {
            "id": event_id,
            "timestamp": timestamp,
            "log-level": "info",
            "event": event,
            **fields,
            "message": copy.deepcopy(message),
            "recipient": "alice@example.com",
            "recipient-domain": "example.com",
            "campaigns": [],
            "tags": ["my_tag_1", "my_tag_2"],
            "user-variables": {"my_var_1": "Mailgun Variable #1", "my-var-2": "awesome", key: email_id},
        }
        signature = {
            "timestamp": "1529006854",
            "token": "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0",
            "signature": "d2271d12299f6592d9d44cd9d250f0704e4674c30d79d07c47a66f95ce71cf55",
        }
        return {"signature": signature, "event-data": data}

    return [
        (None, payload("CCXMjJ7nQi2N3BPigGOdgQ", "accepted", 1521233123.501324, method="HTTP")),
        (
            ("delivered", None),
            payload(
                "CPgfbmQMTCKtHW6uIWtuVe",
                "delivered",
                1521243339.873676,
                **{
                    "delivery-status": {
                        "tls": True,
                        "mx-host": "smtp-in.example.com",
                        "code": 250,
                        "description": "",
                        "session-seconds": 0.43,
                        "message": "OK",
                        "attempt-no": 1,
                    }
                },
            ),
        ),
        (
            ("opened", None),
            payload(
                "Ase7i2zsRYeDXztHGENqRA",
                "opened",
                1521243340.873676,
                ip="50.56.129.169",
                geolocation={"country": "US", "region": "CA", "city": "San Francisco"},
                **{"client-info": {**client, "bot": ""}},
            ),
        ),
        (
            ("opened", None),
            payload(
                "Ase7i2zsRYeDXztHGENqRB",
                "opened",
                1521243341.279025,
                **{
                    "client-info": {
                        "client-name": "unknown",
                        "client-type": "unknown",
                        "user-agent": "Mozilla/5.0",
                        "device-type": "unknown",
                        "client-os": "unknown",
                        "bot": "apple",
                    }
                },
            ),
        ),
        (
            ("clicked", None),
            payload(
                "Ase7i2zsRYeDXztHGENqRC",
                "clicked",
                1521243342.873676,
                ip="50.56.129.169",
                url="https://example.com/fun",
                **{"client-info": client},
            ),
        ),
        (
            ("bounced", "hard"),
            payload(
                "G9Bn5sl1TC6nu79C8C0bwg",
                "failed",
                1521233195.375624,
                severity="permanent",
                reason="suppress-bounce",
                **{
                    "log-level": "error",
                    "delivery-status": {
                        "attempt-no": 1,
                        "message": "",
                        "code": 605,
                        "description": "Not delivering to previously bounced address",
                        "session-seconds": 0,
                    },
                },
            ),
        ),
        (
            ("bounced", "soft"),
            payload(
                "Fs7-5t81S2ispqxqDw2U4Q",
                "failed",
                1521472262.908181,
                severity="temporary",
                reason="generic",
                **{
                    "log-level": "warn",
                    "delivery-status": {
                        "attempt-no": 1,
                        "code": 452,
                        "description": "",
                        "message": "4.2.2 The email account that you tried to reach is over quota.",
                    },
                },
            ),
        ),
        (
            ("unsubscribed", None),
            payload(
                "Ase7i2zsRYeDXztHGENqRD",
                "unsubscribed",
                1521243343.873676,
                ip="50.56.129.169",
                **{"client-info": client},
            ),
        ),
        (
            ("spam_reported", None),
            payload(
                "-Agny091SquKnsrW2NEKUA",
                "complained",
                1521233123.501324,
                **{"log-level": "warn", "envelope": {"sending-ip": "173.193.210.33"}},
            ),
        ),
    ]


def _ses_mail(email_id: str, key: str, timestamp: str = "2017-08-05T00:40:02.012Z") -> dict:
    return {
        "timestamp": timestamp,
        "source": "Sender Name <sender@example.com>",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
        "sendingAccountId": "123456789012",
        "messageId": "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
        "destination": ["recipient@example.com"],
        "headersTruncated": False,
        "headers": [
            {"name": "From", "value": "Sender Name <sender@example.com>"},
            {"name": "To", "value": "recipient@example.com"},
            {"name": "Subject", "value": "Message sent from Amazon SES"},
        ],
        "commonHeaders": {
            "from": ["Sender Name <sender@example.com>"],
            "to": ["recipient@example.com"],
            "messageId": "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
            "subject": "Message sent from Amazon SES",
        },
        "tags": {
            "ses:configuration-set": ["ConfigSet"],
            "ses:source-ip": ["192.0.2.0"],
            "ses:from-domain": ["example.com"],
            "ses:caller-identity": ["ses_user"],
            key: [email_id],
        },
    }


def ses(email_id: str, key: str = "email_id") -> list[tuple]:
    """docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html (the same
    records as ...-firehose-examples.html): each record type; message tags of the configuration
    set arrive as mail.tags, each value a list."""
    recipients = [
        {
            "emailAddress": "recipient@example.com",
            "action": "failed",
            "status": "5.1.1",
            "diagnosticCode": "smtp; 550 5.1.1 user unknown",
        }
    ]
    records = [
        (None, {"eventType": "Send", "send": {}}),
        (None, {"eventType": "Reject", "reject": {"reason": "Bad content"}}),
        (
            None,
            {
                "eventType": "Rendering Failure",
                "failure": {
                    "errorMessage": "Attribute 'attributeName' is not present in the rendering data.",
                    "templateName": "MyTemplate",
                },
            },
        ),
        (
            None,
            {
                "eventType": "DeliveryDelay",
                "deliveryDelay": {
                    "timestamp": "2020-06-16T00:25:40.095Z",
                    "delayType": "TransientCommunicationFailure",
                    "expirationTime": "2020-06-16T00:25:40.914Z",
                    "delayedRecipients": [
                        {
                            "emailAddress": "recipient@example.com",
                            "status": "4.4.1",
                            "diagnosticCode": "smtp; 421 4.4.1 Unable to connect to remote host",
                        }
                    ],
                },
            },
        ),
        (
            ("delivered", None),
            {
                "eventType": "Delivery",
                "delivery": {
                    "timestamp": "2016-10-19T23:21:04.133Z",
                    "processingTimeMillis": 11893,
                    "recipients": ["recipient@example.com"],
                    "smtpResponse": "250 2.6.0 Message received",
                    "reportingMTA": "mta.example.com",
                },
            },
        ),
        (
            ("bounced", "hard"),
            {
                "eventType": "Bounce",
                "bounce": {
                    "bounceType": "Permanent",
                    "bounceSubType": "General",
                    "bouncedRecipients": recipients,
                    "timestamp": "2017-08-05T00:41:02.669Z",
                    "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
                    "reportingMTA": "dsn; mta.example.com",
                },
            },
        ),
        (
            ("bounced", "soft"),
            {
                "eventType": "Bounce",
                "bounce": {
                    "bounceType": "Transient",
                    "bounceSubType": "MailboxFull",
                    "bouncedRecipients": recipients,
                    "timestamp": "2017-08-05T00:41:03.669Z",
                    "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000001",
                    "reportingMTA": "dsn; mta.example.com",
                },
            },
        ),
        (
            ("bounced", "soft"),
            {
                "eventType": "Bounce",
                "bounce": {
                    "bounceType": "Undetermined",
                    "bounceSubType": "Undetermined",
                    "bouncedRecipients": recipients,
                    "timestamp": "2017-08-05T00:41:04.669Z",
                    "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000002",
                    "reportingMTA": "dsn; mta.example.com",
                },
            },
        ),
        (
            ("spam_reported", None),
            {
                "eventType": "Complaint",
                "complaint": {
                    "complainedRecipients": [{"emailAddress": "recipient@example.com"}],
                    "timestamp": "2017-08-05T00:41:05.669Z",
                    "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
                    "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.90 Safari/537.36",
                    "complaintFeedbackType": "abuse",
                    "arrivalDate": "2017-08-05T00:41:02.669Z",
                },
            },
        ),
        (
            ("opened", None),
            {
                "eventType": "Open",
                "open": {
                    "ipAddress": "192.0.2.1",
                    "timestamp": "2017-08-09T22:00:19.652Z",
                    "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_3 like Mac OS X) AppleWebKit/603.3.8 (KHTML, like Gecko) Mobile/14G60",
                },
            },
        ),
        (
            ("clicked", None),
            {
                "eventType": "Click",
                "click": {
                    "ipAddress": "192.0.2.1",
                    "link": "http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html",
                    "linkTags": {"samplekey0": ["samplevalue0"], "samplekey1": ["samplevalue1"]},
                    "timestamp": "2017-08-09T23:51:25.570Z",
                    "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.90 Safari/537.36",
                },
            },
        ),
        (
            ("unsubscribed", None),
            {
                "eventType": "Subscription",
                "subscription": {
                    "contactList": "ContactListName",
                    "timestamp": "2022-01-12T01:00:17.910Z",
                    "source": "UnsubscribeHeader",
                    "newTopicPreferences": {
                        "unsubscribeAll": True,
                        "topicSubscriptionStatus": [{"topicName": "ExampleTopicName", "subscriptionStatus": "OptOut"}],
                    },
                    "oldTopicPreferences": {
                        "unsubscribeAll": False,
                        "topicSubscriptionStatus": [{"topicName": "ExampleTopicName", "subscriptionStatus": "OptOut"}],
                    },
                },
            },
        ),
        (
            None,
            {
                "eventType": "Subscription",
                "subscription": {
                    "contactList": "ContactListName",
                    "timestamp": "2022-01-12T01:00:18.910Z",
                    "source": "ListManagement",
                    "newTopicPreferences": {
                        "unsubscribeAll": False,
                        "topicSubscriptionStatus": [{"topicName": "ExampleTopicName", "subscriptionStatus": "OptIn"}],
                    },
                    "oldTopicPreferences": {
                        "unsubscribeAll": False,
                        "topicSubscriptionStatus": [{"topicName": "ExampleTopicName", "subscriptionStatus": "OptOut"}],
                    },
                },
            },
        ),
    ]
    return [(expected, {**record, "mail": _ses_mail(email_id, key)}) for expected, record in records]


def sns_notification(record: dict) -> dict:
    """An SES record as an SNS topic delivers it over HTTP(S): the record as the JSON text of
    Message (docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html)."""
    return {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Subject": "My First Message",
        "Message": json.dumps(record),
        "Timestamp": "2012-05-02T00:54:06.655Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEw6JRN...",
        "SigningCertURL": "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
        "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96",
    }


def postmark(email_id: str, key: str = "email_id") -> list[tuple]:
    """postmarkapp.com/developer/webhooks/webhooks-overview and the page of each webhook
    (delivery-webhook, bounce-webhook, spam-complaint-webhook, open-tracking-webhook,
    click-webhook, subscription-change-webhook); Metadata sent with the email comes back."""
    message = {
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Tag": "welcome-email",
    }
    client = {
        "Client": {"Name": "Chrome", "Company": "Google", "Family": "Chrome"},
        "OS": {"Name": "macOS 14", "Company": "Apple", "Family": "macOS"},
        "Platform": "Desktop",
        "UserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
        "Geo": {
            "CountryISOCode": "US",
            "Country": "United States",
            "RegionISOCode": "CA",
            "Region": "California",
            "City": "San Francisco",
            "Zip": "94107",
            "Coords": "37.7749,-122.4194",
            "IP": "203.0.113.1",
        },
    }
    bounce = {
        "ID": 42,
        "Name": "Hard bounce",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": "john@example.com",
        "From": "sender@yourdomain.com",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Welcome to our service",
    }
    change = {
        "RecordType": "SubscriptionChange",
        **message,
        "MessageStream": "broadcast",
        "Recipient": "john@example.com",
        "Origin": "Recipient",
        "SuppressSending": True,
    }
    events = [
        (
            ("delivered", None),
            {
                "RecordType": "Delivery",
                **message,
                "Recipient": "john@example.com",
                "DeliveredAt": "2025-04-05T16:33:54.9070259Z",
                "Details": "Test delivery webhook details",
            },
        ),
        (
            ("bounced", "hard"),
            {
                "RecordType": "Bounce",
                **bounce,
                "Type": "HardBounce",
                "TypeCode": 1,
                **message,
                "BouncedAt": "2014-08-01T13:28:10.2735393-04:00",
            },
        ),
        (
            ("bounced", "soft"),
            {
                "RecordType": "Bounce",
                **bounce,
                "ID": 43,
                "Type": "SoftBounce",
                "TypeCode": 4096,
                "Name": "Soft bounce",
                "Inactive": False,
                **message,
                "BouncedAt": "2014-08-01T13:28:11.2735393-04:00",
            },
        ),
        (
            ("bounced", "soft"),
            {
                "RecordType": "Bounce",
                **bounce,
                "ID": 44,
                "Type": "Transient",
                "TypeCode": 2,
                "Name": "Message delayed",
                "Inactive": False,
                **message,
                "BouncedAt": "2014-08-01T13:28:12.2735393-04:00",
            },
        ),
        (
            ("spam_reported", None),
            {
                "RecordType": "SpamComplaint",
                "ID": 45,
                "Type": "SpamComplaint",
                "TypeCode": 512,
                **message,
                "Email": "john@example.com",
                "From": "sender@yourdomain.com",
                "BouncedAt": "2025-04-05T16:33:55.9070259Z",
                "Subject": "Welcome to our service",
            },
        ),
        (
            ("opened", None),
            {
                "RecordType": "Open",
                "FirstOpen": True,
                **message,
                **client,
                "ReadSeconds": 5,
                "Recipient": "john@example.com",
                "ReceivedAt": "2025-04-05T16:33:56.9070259Z",
            },
        ),
        (
            ("clicked", None),
            {
                "RecordType": "Click",
                "ClickLocation": "HTML",
                **message,
                **client,
                "OriginalLink": "https://yourdomain.com/pricing",
                "Recipient": "john@example.com",
                "ReceivedAt": "2025-04-05T16:33:57.9070259Z",
            },
        ),
        (
            ("unsubscribed", None),
            {**change, "ChangedAt": "2025-04-05T16:33:58.9070259Z", "SuppressionReason": "ManualSuppression"},
        ),
        (None, {**change, "ChangedAt": "2020-02-01T10:53:34.416071Z", "SuppressionReason": "HardBounce"}),
        (None, {**change, "ChangedAt": "2020-02-01T10:53:35.416071Z", "SuppressionReason": "SpamComplaint"}),
        (
            None,
            {
                **change,
                "ChangedAt": "2020-02-01T10:53:36.416071Z",
                "Origin": "Customer",
                "SuppressionReason": "ManualSuppression",
            },
        ),
        (
            None,
            {**change, "ChangedAt": "2020-02-01T10:53:37.416071Z", "SuppressSending": False, "SuppressionReason": None},
        ),
    ]
    return [(expected, {**doc, "Metadata": {"example": "value", key: email_id}}) for expected, doc in events]


SAMPLES = {"sendgrid": sendgrid, "mailgun": mailgun, "ses": ses, "postmark": postmark}


def samples(provider: str, email_id: str, key: str = "email_id") -> list[tuple]:
    return SAMPLES[provider](email_id, key)

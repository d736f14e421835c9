#!/usr/bin/env python3
"""Write the committed seed corpora, tests/fuzz/corpus/<target>/.

Run from anywhere: python3 tests/fuzz/gen_corpus.py. Seeds are small, valid
(or nearly valid) inputs in each target's input format (see the comment at the
top of each <target>_fuzz.c); the fuzzer mutates from there. File names are the
seed's purpose, so a crash on a seed reads clearly. Re-running rewrites the
same files; it never touches what a fuzzing run adds elsewhere.
"""
import base64
import json
import os
import socket
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- evstream --------------------------------------------------------------

def evs_header(name, typ, value=None):
    n = name.encode()
    out = bytes([len(n)]) + n + bytes([typ])
    if typ in (0, 1):
        return out
    if typ == 2:
        return out + struct.pack(">b", value)
    if typ == 3:
        return out + struct.pack(">h", value)
    if typ == 4:
        return out + struct.pack(">i", value)
    if typ in (5, 8):
        return out + struct.pack(">q", value)
    if typ in (6, 7):
        v = value.encode() if isinstance(value, str) else value
        return out + struct.pack(">H", len(v)) + v
    if typ == 9:
        return out + value
    raise ValueError(typ)


def evs_message(headers, payload):
    hb = b"".join(headers)
    total = 16 + len(hb) + len(payload)
    prelude = struct.pack(">II", total, len(hb))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + hb + payload
    return body + struct.pack(">I", zlib.crc32(body))


def evs_control(flags=0, max_msg=0, max_count=0, max_value=0, seed=1):
    return struct.pack(">BHBHH", flags, max_msg, max_count, max_value, seed)


def nova_chunk(event):
    payload = json.dumps({"bytes": base64.b64encode(json.dumps(event).encode()).decode()})
    return evs_message([evs_header(":event-type", 7, "chunk"),
                        evs_header(":content-type", 7, "application/json"),
                        evs_header(":message-type", 7, "event")], payload.encode())


def gen_evstream():
    vec = json.load(open(os.path.join(TOP, "tests/vectors/eventstream.json")))
    for i, v in enumerate(vec["vectors"]):
        raw = bytes.fromhex(v["encoded_hex"])
        write("evstream", "vector-%02d" % i, evs_control(0, seed=i + 1) + raw)
    for i, v in enumerate(vec["streams"]):
        raw = bytes.fromhex(v["encoded_hex"])
        write("evstream", "stream-%02d" % i, evs_control(0, seed=7) + raw)
    every_type = evs_message([
        evs_header("t", 0), evs_header("f", 1), evs_header("b", 2, -5),
        evs_header("s", 3, 300), evs_header("i", 4, -70000),
        evs_header("l", 5, 1 << 40), evs_header("bytes", 6, b"\x00\x01\xff"),
        evs_header("str", 7, "h\u00e9llo"), evs_header("ts", 8, 1700000000000),
        evs_header("id", 9, bytes(range(16)))], b"payload")
    write("evstream", "every-header-type", evs_control(0, seed=3) + every_type)
    # flag 1 recomputes the CRCs, so these stay decodable under mutation
    write("evstream", "every-header-type-fixcrc", evs_control(1, seed=5) + every_type)
    ev = {"event": {"textOutput": {"contentId": "c1", "content": "hello", "role": "ASSISTANT"}}}
    exc = evs_message([evs_header(":exception-type", 7, "throttlingException"),
                       evs_header(":content-type", 7, "application/json"),
                       evs_header(":message-type", 7, "exception")],
                      b'{"message":"Too many requests"}')
    stream = nova_chunk(ev) + nova_chunk({"event": {"completionEnd": {"stopReason": "END_TURN"}}})
    write("evstream", "nova-chunks", evs_control(0, seed=9) + stream)
    write("evstream", "nova-chunks-fixcrc-split1", evs_control(1, seed=0) + stream + exc)
    write("evstream", "nova-exception", evs_control(0, seed=11) + exc)
    write("evstream", "limits-small", evs_control(3, max_msg=16, max_count=2, max_value=4,
                                                  seed=13) + every_type)
    write("evstream", "duplicates-allowed", evs_control(5, seed=17) + evs_message(
        [evs_header("a", 7, "1"), evs_header("a", 7, "2")], b""))
    write("evstream", "empty-message", evs_control(1, seed=19) + evs_message([], b""))
    write("evstream", "truncated", evs_control(0, seed=21) + stream[:-5])


# ---- nova_rx ---------------------------------------------------------------

def gen_nova_rx():
    ids = {"sessionId": "s1", "promptName": "p1", "completionId": "c1"}

    def ev(name, **body):
        b = dict(ids)
        b.update(body)
        return json.dumps({"event": {name: b}})

    pcm = base64.b64encode(bytes(range(0, 200, 2))).decode()
    turn = [
        ev("completionStart"),
        ev("contentStart", contentId="u1", type="TEXT", role="USER",
           additionalModelFields='{"generationStage":"FINAL"}',
           textOutputConfiguration={"mediaType": "text/plain"}),
        ev("textOutput", contentId="u1", role="USER", content="what time is it"),
        ev("contentEnd", contentId="u1", type="TEXT", stopReason="END_TURN"),
        ev("contentStart", contentId="a1", type="TEXT", role="ASSISTANT",
           additionalModelFields='{"generationStage":"SPECULATIVE"}'),
        ev("textOutput", contentId="a1", role="ASSISTANT", content="Let me check."),
        ev("contentEnd", contentId="a1", type="TEXT", stopReason="PARTIAL_TURN"),
        ev("contentStart", contentId="au1", type="AUDIO", role="ASSISTANT",
           audioOutputConfiguration={"mediaType": "audio/lpcm", "sampleRateHertz": 8000,
                                     "sampleSizeBits": 16, "encoding": "base64",
                                     "channelCount": 1}),
        ev("audioOutput", contentId="au1", content=pcm),
        ev("audioOutput", contentId="au1", content=pcm.rstrip("=")),
        ev("contentEnd", contentId="au1", type="AUDIO", stopReason="END_TURN"),
        ev("contentStart", contentId="t1", type="TOOL", role="TOOL",
           toolUseOutputConfiguration={"mediaType": "application/json"}),
        ev("toolUse", contentId="t1", toolName="getDateAndTime", toolUseId="tu1",
           content="{}"),
        ev("contentEnd", contentId="t1", type="TOOL", stopReason="TOOL_USE"),
        ev("completionEnd", stopReason="END_TURN"),
        ev("usageEvent", details={"delta": {"input": {"speechTokens": 1, "textTokens": 2},
                                            "output": {"speechTokens": 3, "textTokens": 4}},
                                  "total": {"input": {"speechTokens": 10, "textTokens": 20},
                                            "output": {"speechTokens": 30, "textTokens": 40}}},
           totalInputTokens=30, totalOutputTokens=70, totalTokens=100),
    ]
    write("nova_rx", "turn", "\n".join(turn) + "\n")
    barge = [
        ev("contentStart", contentId="a2", type="TEXT", role="ASSISTANT",
           additionalModelFields='{"generationStage":"FINAL"}'),
        ev("textOutput", contentId="a2", role="ASSISTANT", content='{ "interrupted" : true }'),
        ev("contentEnd", contentId="a2", type="TEXT", stopReason="INTERRUPTED"),
    ]
    write("nova_rx", "barge-in", "\n".join(barge) + "\n")
    wrapped = [json.dumps({"bytes": base64.b64encode(e.encode()).decode()}) for e in turn[:9]]
    write("nova_rx", "chunk-envelope", "\n".join(wrapped) + "\n")
    write("nova_rx", "unknown-and-bad",
          "\n".join([ev("futureEvent", x=1), '{"event":{}}', "not json",
                     ev("toolUse", toolName="x"), ev("textOutput"),
                     ev("audioOutput", content="@@@")]) + "\n")
    many = [ev("contentStart", contentId="b%d" % i, type="AUDIO", role="ASSISTANT")
            for i in range(10)] + [ev("contentStart", contentId="x" * 60, type="TEXT")]
    write("nova_rx", "many-open-blocks", "\n".join(many) + "\n")


# ---- cc --------------------------------------------------------------------

def hexs(s):
    return s.encode().hex()


def gen_cc():
    arn = ("arn:aws:connect:us-west-2:123456789012:instance/"
           "11111111-2222-3333-4444-555555555555/contact/aaaa-bbbb")
    uui = json.dumps({"prompt": "billing", "voice": "tiffany", "language": "en-US",
                      "tools": "info,call_control", "customer_id": "C-42",
                      "account_number": 12345, "authenticated": True, "other": "x"})
    write("cc", "connect-full",
          "X-Amzn-ConnectContactId: aaaa-bbbb\n"
          "X-Amzn-ConnectInitialContactId: 9999-8888\n"
          "X-Amzn-SourceArn: %s\n"
          "X-Amzn-TargetArn: arn:aws:connect:us-west-2:123456789012:instance/iii/queue/q\n"
          "X-Amzn-SourceAccount: 123456789012\n"
          "User-to-User: %s;encoding=hex\n" % (arn, hexs(uui)))
    write("cc", "uui-text-quoted", "User-to-User: \"%s\";purpose=isdn-uui;content=isdn-uui\n"
          % hexs("hello there"))
    write("cc", "uui-deep-json", "User-to-User: %s\n" % hexs('{"a":{"b":{"c":{"d":{"e":1}}}}}'))
    write("cc", "defaults-only",
          "X-Amzn-ConnectContactId: c-1\nDefault-Instance: inst-1\nDefault-Region: eu-west-1\n")
    write("cc", "bad-values",
          "X-Amzn-ConnectContactId: bad id with spaces\n"
          "X-Amzn-SourceArn: arn:aws:connect\n"
          "User-to-User: abc;encoding=base64\n")
    write("cc", "numbered", b"\x01aaaa\n\x03" + arn.encode() + b"\n\x06" +
          hexs('{"voice":"matthew"}').encode() + b"\n")
    write("cc", "plain-sip", "From: <sip:alice@example.com>\nTo: <sip:bot@example.com>\n")


# ---- rtp / dtmf ------------------------------------------------------------

def rtp(seq, ts, ssrc=0x11223344, pt=0, marker=False, payload=b"\xff" * 160, csrc=(),
        ext=None, pad=0):
    b0 = 0x80 | (0x20 if pad else 0) | (0x10 if ext is not None else 0) | len(csrc)
    out = struct.pack(">BBHII", b0, (0x80 if marker else 0) | pt, seq & 0xffff,
                      ts & 0xffffffff, ssrc)
    for c in csrc:
        out += struct.pack(">I", c)
    if ext is not None:
        out += struct.pack(">HH", 0xbede, len(ext) // 4) + ext
    out += payload
    if pad:
        out += b"\x00" * (pad - 1) + bytes([pad])
    return out


def rec(pkt, dt=20):
    assert len(pkt) < 256
    return bytes([len(pkt), dt]) + pkt


def rtcp_sr(ssrc, nrb=1):
    body = struct.pack(">IIIIII", ssrc, 0xe1234567, 0x89abcdef, 160000, 1000, 172000)
    for i in range(nrb):
        body += struct.pack(">IIIIII", 0x55667788 + i, (3 << 24) | 0xfffffe, 70000, 12,
                            0x45670000, 65536)
    hdr = struct.pack(">BBH", 0x80 | nrb, 200, (len(body) + 4) // 4 - 1)
    return hdr + body


def rtcp_rr_bye(ssrc):
    rr = struct.pack(">BBHI", 0x80, 201, 1, ssrc)
    bye = struct.pack(">BBHI", 0x81, 203, 1, ssrc)
    sdes = struct.pack(">BBHIBB", 0x81, 202, 3, ssrc, 1, 4) + b"host" + b"\x00\x00"
    return rr + sdes + bye


def gen_rtp():
    call = b"".join(rec(rtp(100 + i, 160 * i, payload=b"\xd5" * 160)) for i in range(3))
    write("rtp", "in-order", b"\x00" + call)
    odd = [rtp(10, 0), rtp(12, 320), rtp(11, 160), rtp(11, 160), rtp(5000, 999999),
           rtp(5001, 1000159), rtp(5002, 1000319, ssrc=7)]
    write("rtp", "reorder-dup-jump-ssrc", b"\x08" + b"".join(rec(p, 0x85) for p in odd))
    write("rtp", "wrap", b"\x10" + rec(rtp(65534, 0xfffffe00)) + rec(rtp(65535, 0xffffff00)) +
          rec(rtp(0, 0x100)) + rec(rtp(1, 0x200)))
    write("rtp", "csrc-ext-pad", b"\x01" + rec(rtp(1, 2, csrc=(1, 2, 3), ext=b"\x10\xaa\x00\x00",
                                                   payload=b"abc", pad=5)))
    write("rtp", "telephone-event", b"\x28" + rec(rtp(1, 800, pt=101, payload=b"\x05\x0a\x00\xa0")))
    write("rtp", "rtcp-sr", b"\x00" + rec(rtp(1, 160)) + rec(rtcp_sr(0x11223344, 2)))
    write("rtp", "rtcp-rr-sdes-bye", b"\x00" + rec(rtcp_rr_bye(0x11223344)))
    write("rtp", "single-rtp", rtp(7, 7, payload=b"\x00" * 20))


def gen_dtmf():
    def te(code, end, vol, dur):
        return bytes([code, (0x80 if end else 0) | vol]) + struct.pack(">H", dur)

    def pkts(lst):
        return b"".join(bytes([len(p)]) + p for p in lst)

    digit5 = [rtp(1, 8000, pt=101, marker=True, payload=te(5, False, 10, 160)),
              rtp(2, 8000, pt=101, payload=te(5, False, 10, 320)),
              rtp(3, 8000, pt=101, payload=te(5, True, 10, 800)),
              rtp(4, 8000, pt=101, payload=te(5, True, 10, 800)),
              rtp(5, 8000, pt=101, payload=te(5, True, 10, 800))]
    write("dtmf", "digit-5", b"5\x05\x0a\x14" + pkts(digit5))
    lost_end = [rtp(1, 1000, pt=101, payload=te(11, False, 7, 160)),
                rtp(2, 2000, pt=101, payload=te(1, False, 7, 160)),
                rtp(3, 900, pt=101, payload=te(2, False, 7, 160))]
    write("dtmf", "end-lost-then-stale", b"#\x0a\x3f\x64" + pkts(lost_end))
    write("dtmf", "short-payload", b"A\x02\x00\x0a" +
          pkts([rtp(1, 1, pt=101, payload=b"\x01\x02")]))
    write("dtmf", "flash-no-end", b"!\xff\x40\x05" +
          pkts([rtp(1, 50, pt=101, payload=te(16, False, 0, 65535))]))


# ---- sdp -------------------------------------------------------------------

def gen_sdp():
    base = ("v=0\r\no=- 123 456 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n")
    write("sdp", "pcmu-pcma-te", base +
          "m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
          "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n"
          "a=sendrecv\r\na=rtcp:4001\r\n")
    write("sdp", "video-first-ipv6", "v=0\no=alice 1 1 IN IP6 2001:db8::1\ns= \n"
          "c=IN IP6 2001:db8::1\nt=0 0\nm=video 5000 RTP/AVP 96\na=rtpmap:96 H264/90000\n"
          "m=audio 5002 RTP/AVP 18 8 96\na=rtpmap:96 telephone-event/8000\na=sendonly\n")
    write("sdp", "hold-null-addr", base.replace("192.0.2.1\r\nt", "0.0.0.0\r\nt") +
          "m=audio 4000 RTP/AVP 8\r\na=inactive\r\n")
    write("sdp", "no-codec", base + "m=audio 4000 RTP/AVP 9 18\r\nm=audio 0 RTP/AVP 0\r\n")
    write("sdp", "savp-and-dynamic", base + "m=audio 4000 RTP/SAVP 0\r\n"
          "m=audio 4002 RTP/AVP 97 0\r\na=rtpmap:97 PCMU/8000\r\n"
          "m=application 9 UDP/BFCP *\r\n")
    write("sdp", "many-media", base + "".join("m=audio %d RTP/AVP 0\r\n" % (4000 + 2 * i)
                                              for i in range(10)))
    cm = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
    write("sdp", "savp-crypto-suites", base + "m=audio 4000 RTP/SAVP 0 101\r\n"
          "a=rtpmap:101 telephone-event/8000\r\n"
          "a=crypto:1 AES_CM_128_HMAC_SHA1_32 " + cm + "|2^20|1:4\r\n"
          "a=crypto:2 AES_CM_128_HMAC_SHA1_80 " + cm + " KDR=0 WSH=128\r\n"
          "a=crypto:3 AEAD_AES_128_GCM inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA==\r\n"
          "a=crypto:4 F8_128_HMAC_SHA1_80 " + cm + "\r\n")
    write("sdp", "avp-then-savp", base + "m=audio 4000 RTP/AVP 8\r\n"
          "m=audio 4002 RTP/SAVP 0\r\na=crypto:7 AES_CM_128_HMAC_SHA1_80 " + cm + "\r\n")


# ---- sip_guard -------------------------------------------------------------

def gen_sip_guard():
    def acl(name, text, addrs):
        write("sip_guard", name, b"\x00" + text.encode() + b"\x00" + b"".join(addrs))
    v4 = lambda s: b"\x00" + bytes(int(x) for x in s.split("."))
    v6 = lambda s: b"\x01" + socket.inet_pton(socket.AF_INET6, s)
    acl("chime", "3.80.16.0/23, 99.77.253.0/24,52.55.62.128/25",
        [v4("3.80.17.9"), v4("3.80.18.1"), v4("99.77.253.7"), v6("::ffff:3.80.16.1")])
    acl("mixed-v6", "2001:db8::/32 10.0.0.1 ::ffff:192.0.2.0/120 ::/0",
        [v6("2001:db8::1"), v6("2001:db9::1"), v4("192.0.2.9"), v4("10.0.0.2")])
    acl("bad", "10.0.0.0/33,foo", [v4("10.0.0.1")])
    for name, head in [("invite", b"INVITE sip:nova@192.0.2.1 SIP/2.0\r\n"),
                       ("response", b"SIP/2.0 200 OK\r\n"),
                       ("message", b"MESSAGE sip:x SIP/2.0\r\n"), ("crlf", b"\r\n\r\n")]:
        write("sip_guard", "classify-" + name,
              b"\x01" + bytes([len(head)]) + head + b"\x00\x10" +
              b"".join(bytes([192, 0, 2, i, 7]) for i in range(8)))


# ---- tool_args -------------------------------------------------------------

def gen_tool_args():
    def seed(name, flags, tool, args):
        write("tool_args", name, bytes([flags]) + tool.encode() + b"\n" + args.encode())

    seed("date", 0x00, "getDateAndTime", "{}")
    seed("date-blank-args", 0x81, "getDateAndTime", "  ")
    seed("hangup", 0x00, "hangUp", '{"reason":"caller_done"}')
    seed("attrs-connect", 0x01, "updateContactAttributes",
         '{"attributes":{"nova_customer_id":"C-1","nova_issue_type":"billing",'
         '"aws:reserved":"x"}}')
    seed("attrs-refused", 0x05, "updateContactAttributes", '{"attributes":{"k":"v"}}')
    seed("attrs-not-connect", 0x00, "updateContactAttributes", '{"attributes":{"k":"v"}}')
    seed("end-agent", 0x83, "endCallAndTransfer",
         '{"next":"agent","reason":"needs_agent","queue":"q1","summary":"wants a refund"}')
    seed("end-survey-bad", 0x80, "endCallAndTransfer", '{"next":"later","reason":1}')
    seed("transfer", 0x8a, "transferToAgent", '{"reason":"asked"}')
    seed("unknown", 0x00, "noSuchTool", "{}")
    seed("not-object", 0x00, "hangUp", "[1,2]")
    seed("dup-keys", 0x00, "hangUp", '{"reason":"a","reason":"b"}')
    custom = json.dumps({
        "name": "lookupOrder", "description": "Look an order up.", "category": "custom",
        "instruction": "Read the status out.",
        "input_schema": {"type": "object", "additionalProperties": False,
                         "maxProperties": 3, "required": ["order"],
                         "properties": {
                             "order": {"type": "string", "minLength": 3, "maxLength": 12},
                             "qty": {"type": "integer", "minimum": 1, "maximum": 9},
                             "price": {"type": "number", "minimum": 0.5},
                             "gift": {"type": "boolean"},
                             "tags": {"type": "array", "maxItems": 2,
                                      "items": {"type": "string", "enum": ["a", "b"]}}}}})
    write("tool_args", "custom-def", b"\x80" + custom.encode() + b"\nlookupOrder\n" +
          b'{"order":"A-1234","qty":2,"price":1.5,"gift":true,"tags":["a"]}')
    write("tool_args", "custom-def-bad-args", b"\x80" + custom.encode() + b"\nlookupOrder\n" +
          b'{"order":"A","qty":20,"extra":1}')
    write("tool_args", "custom-def-bad-keyword", b"\x80" + json.dumps(
        {"name": "x", "description": "d",
         "input_schema": {"type": "object", "pattern": "a*"}}).encode() + b"\nx\n{}")


# ---- config ----------------------------------------------------------------

def gen_config():
    def seed(name, errlen, lines):
        write("config", name, bytes([errlen]) + "\n".join(lines).encode() + b"\n")

    seed("defaults", 0, [])
    seed("typical", 200, ["SIP_LISTEN=0.0.0.0:5060", "MEDIA_ADDRESS=192.0.2.5",
                          "MEDIA_PORT_BASE=20000", "MEDIA_PORT_COUNT=1000",
                          "AWS_REGION=us-east-1", "NOVA_VOICE_ID=tiffany",
                          "NOVA_TEMPERATURE=0.7", "NOVA_ENDPOINTING=low",
                          "LOG_LEVEL=debug", "METRICS_EMF=yes",
                          "SIP_ALLOW_CIDRS=10.0.0.0/8,2001:db8::/32",
                          "AWS_ENDPOINT_URL=https://localhost:8443",
                          "AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
                          "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                          "TOOLS_DIR=/tmp"])
    seed("every-error", 40, ["MEDIA_PORT_BASE=20001", "MEDIA_PORT_COUNT=65535",
                             "JITTER_MIN_MS=500", "JITTER_MAX_MS=40",
                             "NOVA_INPUT_RATE=11025", "NOVA_VOICE_ID=Matthew",
                             "SIP_SERVER=pbx.example.com", "RECORD_CALLS=1",
                             "MEDIA_ADDRESS=not-an-ip", "SIP_SESSION_EXPIRES_S=30",
                             "AWS_ACCESS_KEY_ID=AKID", "NOVA_TOP_P=2",
                             "NOVA_MAX_TOKENS=12abc", "DEBUG_SIP=maybe",
                             "AWS_CA_BUNDLE=/nonexistent", "SIP_LISTEN=:5060"])
    seed("indexed", 255, ["\x05debug", "\x10127.0.0.1:1", "\x20-1", "\x301e3", "\x40on"])


def main():
    for gen in (gen_evstream, gen_nova_rx, gen_cc, gen_rtp, gen_dtmf, gen_sdp,
                gen_sip_guard, gen_tool_args, gen_config):
        gen()
    return 0


if __name__ == "__main__":
    sys.exit(main())

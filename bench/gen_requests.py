#!/usr/bin/env python3
"""Pre-signs unique GET requests of a list action for wrk (bench/run.sh, bench/plugin_ratio.sh).

ccgate refuses a reused SignatureNonce and a Timestamp more than 15 minutes off, so every
request wrk sends must be signed on its own. This writes COUNT request targets
(`/?...&Signature=...`, one per line), split round-robin into THREADS files
`OUT/urls.<n>.txt` (n = 1..THREADS), one per wrk thread (bench/list_phone_numbers.lua).

Signature: Alibaba RPC signature v1, HMAC-SHA1, exactly as aliyun-python-sdk-core signs
(shared/reference/alibaba-sdk-wire.md, "RPC signature v1"):

  1. P = all parameters except Signature, empty values kept;
  2. sorted by key (byte order);
  3. canonical = "&".join(enc(k) + "=" + enc(v)), enc = RFC 3986 (A-Z a-z 0-9 - _ . ~ literal);
  4. StringToSign = "GET&" + enc("/") + "&" + enc(canonical);
  5. Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).

The action is --action of --api-version (default: 2020-07-01 ListPhoneNumbers) on --instance.
Paged (--pages P > 0, the default 100): PageNumber cycles over 1..P, PageSize is fixed
(--page-size, default 20). Unpaged (--pages 0, e.g. 2017-07-05 ListContactFlows): no
PageNumber / PageSize, only InstanceId. --param K=V adds a fixed parameter (2017-07-05
ListPhoneNumbers requires OutboundOnly). Standard library only.
"""

import argparse
import base64
import hashlib
import hmac
import os
import time
from urllib.parse import quote


def enc(s: str) -> str:
    """RFC 3986 encoding: only unreserved characters stay literal."""
    return quote(s, safe="-_.~")


def sign_v1(method: str, params: dict, secret: str) -> str:
    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
    sts = f"{method}&{enc('/')}&{enc(canonical)}"
    mac = hmac.new((secret + "&").encode(), sts.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--access-key-id", required=True)
    ap.add_argument("--access-key-secret", required=True)
    ap.add_argument("--instance", default="ccc-test")
    ap.add_argument("--count", type=int, required=True, help="requests in total")
    ap.add_argument("--threads", type=int, default=2, help="one file per wrk thread")
    ap.add_argument("--action", default="ListPhoneNumbers")
    ap.add_argument("--api-version", default="2020-07-01")
    ap.add_argument(
        "--pages", type=int, default=100, help="PageNumber cycles over 1..PAGES; 0: unpaged"
    )
    ap.add_argument("--page-size", type=int, default=20)
    ap.add_argument("--param", action="append", default=[],
                    help="K=V sent with every request (repeatable), e.g. OutboundOnly=false")
    ap.add_argument("--out", required=True, help="directory for urls.<n>.txt")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    files = [
        open(os.path.join(args.out, f"urls.{n + 1}.txt"), "w", buffering=1 << 20)
        for n in range(args.threads)
    ]
    timestamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    paged = args.pages > 0
    common = {
        "Action": args.action,
        "Version": args.api_version,
        "Format": "JSON",
        "RegionId": "cn-shanghai",
        "AccessKeyId": args.access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureType": "",
        "Timestamp": timestamp,
        "InstanceId": args.instance,
        **dict(p.split("=", 1) for p in args.param),
    }
    if paged:
        common["PageSize"] = str(args.page_size)
    # Unique per run and per request: a random run prefix plus the request's index.
    run = os.urandom(8).hex()
    # Only PageNumber (when paged) and SignatureNonce vary, and both are unreserved characters
    # that rfc3986 leaves alone: the string to sign is a fixed template around them, and the
    # HMAC state after its fixed prefix is computed once (same result as sign_v1, checked
    # below). Without paging the page mark stands for "" at the start of the template.
    marks = {"SignatureNonce": "\x00NONCE\x00"}
    if paged:
        marks["PageNumber"] = "\x00PAGE\x00"
    template = dict(common, **marks)
    canonical = "&".join(f"{enc(k)}={v if k in marks else enc(v)}" for k, v in sorted(template.items()))
    sts = f"GET&{enc('/')}&{enc(canonical)}".replace("%00PAGE%00", "\x00PAGE\x00").replace(
        "%00NONCE%00", "\x00NONCE\x00"
    )
    if not paged:
        sts = "\x00PAGE\x00" + sts
    head, rest = sts.split("\x00PAGE\x00")
    mid, tail = rest.split("\x00NONCE\x00")
    base = hmac.new((args.access_key_secret + "&").encode(), head.encode(), hashlib.sha1)
    query_head = "&".join(f"{enc(k)}={enc(v)}" for k, v in common.items())
    for i in range(args.count):
        page = str(i % args.pages + 1) if paged else ""
        nonce = f"{run}{i:016x}"
        mac = base.copy()
        mac.update(f"{page}{mid}{nonce}{tail}".encode())
        sig = base64.b64encode(mac.digest()).decode()
        if i == 0:
            check = dict(common, SignatureNonce=nonce)
            if paged:
                check["PageNumber"] = page
            assert sig == sign_v1("GET", check, args.access_key_secret), "template signing"
        paging = f"&PageNumber={page}" if paged else ""
        files[i % args.threads].write(
            f"/?{query_head}{paging}&SignatureNonce={nonce}&Signature={enc(sig)}\n"
        )
    for f in files:
        f.close()


if __name__ == "__main__":
    main()

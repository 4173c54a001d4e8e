#!/usr/bin/env python3
"""Generate ``cn_regions.tsv.gz``: Chinese phone-number attribution (province, city) for ccgate.

Source: the geocoding data of Google's libphonenumber (Apache License 2.0) as shipped in the
PyPI package ``phonenumbers`` (a Python port that bundles libphonenumber's metadata). Every key
of ``phonenumbers.geodata.GEOCODE_DATA`` that starts with the country code ``86`` maps a
number prefix (``861391234`` = mobile block 139 1234, ``86531`` = landline area code 0531) to a
description such as ``{'zh': '山东省济南市', 'en': 'Jinan, Shandong'}``.

Reproduce (the committed file is byte-for-byte what this prints for the pinned version):

    cd plugins/numbers/data
    python3 -m venv .venv
    .venv/bin/pip install phonenumbers==9.0.43
    .venv/bin/python generate_cn_regions.py          # writes cn_regions.tsv.gz next to this file

What it writes (UTF-8 text, gzip'd with mtime 0 so the output is reproducible):

    # comment lines: source, version, license, split rule
    R<TAB>id<TAB>province<TAB>city      one line per distinct (province, city), id = 0, 1, ...
    P<TAB>prefix<TAB>id                 number prefix (with the leading 86) -> region id

Lookups take the longest ``P`` prefix of ``86`` + national number. The prefix list is compacted
without changing any lookup result: an entry is dropped when the next shorter prefix in the list
already yields the same region (the script re-checks every original key after compaction).

How a zh description is split into Province and City (the forms the CCC seeds show: ``北京`` /
``北京`` for 北京市, ``福建`` / ``厦门`` for 福建省厦门市):

1. Province: the description starts with one of the 34 provincial-level short names (北京, 天津,
   上海, 重庆, 河北, ... 内蒙古, 广西, 西藏, 宁夏, 新疆, 香港, 澳门, 台湾). That short name is the
   Province; a following administrative suffix (省, 市, 壮族自治区, 回族自治区, 维吾尔自治区,
   自治区, 特别行政区) is dropped.
2. City: the rest; when it lists several places (``沈阳市、铁岭市``) the first one is taken. A trailing
   市, 地区, 林区 or 盟 is dropped (厦门市 -> 厦门, 哈密地区 -> 哈密, 兴安盟 -> 兴安) unless only one character
   would remain (芒市 stays 芒市). For ``…自治州`` the suffix and the ethnic-group names before it are
   dropped (延边朝鲜族自治州 -> 延边, 博尔塔拉蒙古自治州 -> 博尔塔拉).
3. Municipalities (北京, 天津, 上海, 重庆) with no city part get City = Province.
4. Keys without a zh description (4 old "Simao, Yunnan" keys) are skipped, so they fall back to
   their shorter prefix (86879 -> 云南 / 普洱, Simao's current name).
"""

import gzip
import io
import os
import sys

import phonenumbers
from phonenumbers.geodata import GEOCODE_DATA

PROVINCES = [
    # municipalities
    "北京", "天津", "上海", "重庆",
    # provinces
    "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东",
    "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾",
    # autonomous regions
    "内蒙古", "广西", "西藏", "宁夏", "新疆",
    # special administrative regions
    "香港", "澳门",
]
MUNICIPALITIES = {"北京", "天津", "上海", "重庆"}
PROVINCE_SUFFIXES = ["壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区", "省", "市"]
ETHNIC_GROUPS = [
    "朝鲜", "土家", "苗", "蒙古", "藏", "白", "壮", "彝", "布依", "回", "哈萨克", "柯尔克孜",
    "傣", "景颇", "傈僳", "羌", "侗", "哈尼", "维吾尔",
]


def split_region(zh):
    """Split a libphonenumber zh description into (province, city); see the module docs.

    >>> split_region("北京市"), split_region("天津")
    (('北京', '北京'), ('天津', '天津'))
    >>> split_region("福建省厦门市"), split_region("山东省济南市")
    (('福建', '厦门'), ('山东', '济南'))
    >>> split_region("新疆维吾尔自治区乌鲁木齐市"), split_region("广西壮族自治区南宁市、崇左市")
    (('新疆', '乌鲁木齐'), ('广西', '南宁'))
    >>> split_region("内蒙古锡林郭勒盟"), split_region("西藏日喀则地区、仲巴县")
    (('内蒙古', '锡林郭勒'), ('西藏', '日喀则'))
    >>> split_region("吉林省延边朝鲜族自治州、珲春市、延吉市"), split_region("新疆博尔塔拉蒙古自治州")
    (('吉林', '延边'), ('新疆', '博尔塔拉'))
    >>> split_region("湖北省恩施土家族苗族自治州"), split_region("云南省芒市")
    (('湖北', '恩施'), ('云南', '芒市'))
    """
    province = next((p for p in sorted(PROVINCES, key=len, reverse=True) if zh.startswith(p)), None)
    if province is None:
        raise ValueError(f"no provincial-level name at the start of {zh!r}")
    rest = zh[len(province):]
    for suffix in PROVINCE_SUFFIXES:
        if rest.startswith(suffix):
            rest = rest[len(suffix):]
            break
    city = rest.split("、")[0]
    if city.endswith("自治州"):
        city = city[: -len("自治州")]
        changed = True
        while changed:
            changed = False
            for group in sorted(ETHNIC_GROUPS, key=len, reverse=True):
                for form in (group + "族", group):
                    if city.endswith(form) and len(city) > len(form):
                        city = city[: -len(form)]
                        changed = True
                        break
                if changed:
                    break
    else:
        for suffix in ("地区", "林区", "市", "盟"):
            if city.endswith(suffix) and len(city) - len(suffix) >= 2:
                city = city[: -len(suffix)]
                break
    if not city and province in MUNICIPALITIES:
        city = province
    return province, city


def longest(prefixes, key):
    """The value of the longest prefix of `key` in `prefixes`, or None."""
    for n in range(len(key), 0, -1):
        v = prefixes.get(key[:n])
        if v is not None:
            return v
    return None


def main():
    import doctest

    failures, _ = doctest.testmod()
    if failures:
        sys.exit("split_region doctests failed")
    out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cn_regions.tsv.gz")
    original = {}
    for key, desc in GEOCODE_DATA.items():
        if key.startswith("86") and "zh" in desc:
            original[key] = split_region(desc["zh"])

    regions = sorted(set(original.values()))
    region_id = {r: i for i, r in enumerate(regions)}
    full = {k: region_id[v] for k, v in original.items()}

    # Compaction: drop an entry whose next shorter prefix already gives the same region.
    compact = dict(full)
    for key in sorted(full, key=len, reverse=True):
        parent = longest(compact, key[:-1])
        if parent == compact[key]:
            del compact[key]

    # Self-check: every original key still resolves to the same region.
    for key, rid in full.items():
        assert longest(compact, key) == rid, key

    buf = io.StringIO()
    buf.write("# ccgate numbers plugin: Chinese phone-number attribution (province, city), zh.\n")
    buf.write("# Generated by plugins/numbers/data/generate_cn_regions.py; do not edit by hand.\n")
    buf.write(f"# Source: libphonenumber geocoding data (zh) via PyPI phonenumbers=={phonenumbers.__version__}\n")
    buf.write("# Copyright (C) 2011-2026 The Libphonenumber Authors. Licensed under the Apache License, Version 2.0\n")
    buf.write("# (http://www.apache.org/licenses/LICENSE-2.0). Derived work: descriptions split into\n")
    buf.write("# province/city and prefixes compacted; see NOTICE and the generator's docstring.\n")
    buf.write(f"# {len(regions)} regions, {len(compact)} prefixes (from {len(full)}).\n")
    buf.write("# R<TAB>id<TAB>province<TAB>city | P<TAB>prefix<TAB>id; longest prefix of 86+national number wins.\n")
    for (province, city), rid in sorted(region_id.items(), key=lambda kv: kv[1]):
        buf.write(f"R\t{rid}\t{province}\t{city}\n")
    for key in sorted(compact):
        buf.write(f"P\t{key}\t{compact[key]}\n")

    data = buf.getvalue().encode("utf-8")
    with open(out_path, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as gz:
            gz.write(data)
    print(f"wrote {out_path}: {len(regions)} regions, {len(compact)} prefixes "
          f"(from {len(full)}), {os.path.getsize(out_path)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()

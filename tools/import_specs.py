#!/usr/bin/env python3
"""Import the action contracts of ccgate from the reference material into TOML specs.

What it does
------------
Writes one file per action, ``plugins/<plugin>/api/<Action>.<version>.toml``, in the format
described in ``plugins/README.md``, from:

* ``shared/reference/actions.md``    - the action index: which actions exist, their plugin
  (``domain`` column), and the four actions the seed's overview names but documents nowhere;
* ``shared/reference/actions.jsonl`` - one record per documented action (parameters, response
  fields, errors, seed file / section / lines);
* ``shared/reference/sdk-actions-2017.txt`` / ``sdk-actions-2020.txt`` - the parameter names the
  official SDKs send: ``Name[body]`` means form body, ``Name.N`` a repeat list. They fill in the
  parameters of overview-only and undocumented actions, and the body location of every action;
* ``shared/seeds/004_*.txt`` lines 130-170 - the overview table (auth mode and line of the four
  undocumented actions).

On top of the records it applies the tables at the top of this file (``CONSTRAINTS``,
``SDK_PARAMS``, ``HAND_RESPONSES``, ``HANDLER_ERRORS``): bounds, defaults and enums the records
only state in prose, and what the implemented handlers of ``plugins/flows`` and
``plugins/numbers`` document in their ``//!`` / ``///`` comments (where a handler and the seed
disagree, the seed wins; the tables say where each value comes from).

Usage
-----
    python3 tools/import_specs.py [--shared /work/shared] [--force] [--dry-run] [ACTION ...]

* Deterministic: the same inputs always give byte-identical files (no timestamps, fixed order).
* Re-runnable: a file whose content equals what the import would write is left alone.
* Hand edits are never overwritten silently: a file that exists with different content is
  skipped and listed, and the exit status is 1, unless ``--force`` is given.
* ``ACTION`` arguments restrict the run to those action names (all versions of each).
* ``--dry-run`` writes nothing and reports what would change.

Check the result with ``tools/check_specs.py``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = Path("/work/shared")

V2017 = "2017-07-05"
V2020 = "2020-07-01"
HW_CCM = "huawei-cc-management-v1"
HW_ISALES = "huawei-isales-v1"

DIALECT = {
    V2017: "aliyun-rpc",
    V2020: "aliyun-rpc",
    HW_CCM: "huawei-cc-management",
    HW_ISALES: "huawei-isales",
}

# The common success fields of the Alibaba envelope, in the order the format lists them.
ENVELOPE_FIELDS = ["RequestId", "Success", "Code", "Message", "HttpStatusCode"]

# Common (signature) parameters some seed tables list as if they were action parameters. The
# SDKs send them as common parameters and the auth layer consumes them, so specs leave them out.
COMMON_PARAMS = {"AccessKeyId"}

REQ_TYPES = {
    "string": "string",
    "integer": "integer",
    "int": "integer",
    "long": "long",
    "boolean": "boolean",
    "repeatlist": "repeat-list",
}

RESP_TYPES = {
    "string": "string",
    "integer": "integer",
    "int": "integer",
    "long": "long",
    "boolean": "boolean",
    "object": "object",
    "struct": "object",
    "array": "array",
    "list": "array",
    "array<object>": "array",
    "array<string>": "array",
    "array (object)": "array",
    "float": "float",
    # Huawei's generic "Number": every documented value is an integer (ids, 0/1 flags, codes).
    "number": "long",
}

# ---------------------------------------------------------------------------------------------
# Error templates (`%s` = what the message names). Seed 002 wording for the Parameter.* family;
# the others are the handlers' messages (crates/plugin-sdk/src/error.rs and the plugins).
# ---------------------------------------------------------------------------------------------
ERR = {
    "MissingParameter": (400, 'The input parameter "%s" that is mandatory for processing this request is not supplied.'),
    "Parameter.Null": (400, "The parameter %s may not be null."),
    "Parameter.Empty": (400, "The parameter %s may not be null or empty."),
    "Parameter.Enumeration": (400, "The parameter %s must be one of the value of enumeration %s."),
    "Parameter.Minimum": (400, "The parameter %s must be greater than or equal to %s."),
    "Parameter.Maximum": (400, "The parameter %s must be less than or equal to %s."),
    "Parameter.MaxLength": (400, "The length of parameter %s must be less than or equal to %s."),
    "InvalidParameter": (400, "The specified parameter %s is not valid: %s"),
    "NotExists.InstanceId": (404, "The specified instance %s does not exist."),
    "NotExists.ContactFlowId": (404, "The specified ContactFlowId %s does not exist."),
    "NotExists.ContactFlowVersionId": (404, "The specified ContactFlowVersionId %s does not exist."),
    "NotExists.PhoneNumberId": (404, "The specified PhoneNumberId %s does not exist."),
    "NotExists.OutboundNumber": (404, "There is no number to pick from: give CandidateNumber.N or add an outbound number to the instance."),
    "Conflict.ContactFlowName": (409, "A contact flow named %s already exists in this instance."),
    "Conflict.RoutePoint": (409, "No free route point is left in this instance."),
    "Conflict.LockedBy": (409, "The contact flow version %s is locked by %s; only the locker may change it."),
    "Conflict.PhoneNumber": (409, "The phone number %s is already bound to %s; a number can be bound to one instance at a time."),
    "Conflict.PhoneNumber.Bulk": (409, "One of the phone numbers was bound by a concurrent request; nothing was added. Retry the request."),
}

# The Parameter.* errors of seed 002 that every 2020-07-01 paged action gets.
SEED_002_ERRORS = [
    "Parameter.Enumeration",
    "Parameter.Maximum",
    "Parameter.Minimum",
    "Parameter.Empty",
    "Parameter.Null",
    "NotExists.InstanceId",
]

FLOWS_SRC = "plugins/flows/src/actions"
NUMBERS_SRC = "plugins/numbers/src/actions"


def handler(path: str) -> str:
    return f"handler {path}"


# Errors the implemented handlers document (their `///` and `//!` comments), in addition to the
# record's. Keys of ERR; the gateway's NotExists.InstanceId is added to every implemented
# InstanceId-scoped action.
HANDLER_ERRORS = {
    ("CreateContactFlow", V2017): ["MissingParameter", "Parameter.Empty", "Parameter.MaxLength", "Parameter.Enumeration", "InvalidParameter", "Conflict.ContactFlowName", "Conflict.RoutePoint"],
    ("CommitContactFlowVersionModification", V2017): ["MissingParameter", "Parameter.Empty", "Parameter.MaxLength", "InvalidParameter", "NotExists.ContactFlowVersionId", "Conflict.LockedBy"],
    ("PublishContactFlowVersion", V2017): ["MissingParameter", "Parameter.Empty", "InvalidParameter", "NotExists.ContactFlowVersionId", "Conflict.LockedBy"],
    ("GetRoutePoint", V2017): ["MissingParameter", "Parameter.Empty", "NotExists.ContactFlowId"],
    ("ListContactFlows", V2017): [],
    ("ListContactFlows", V2020): ["InvalidParameter"],
    ("queryIVRFlowList", HW_CCM): [],
    ("AddPhoneNumber", V2017): ["MissingParameter", "Parameter.Empty", "Parameter.Enumeration", "Parameter.MaxLength", "InvalidParameter", "NotExists.ContactFlowId", "Conflict.PhoneNumber"],
    ("AddBulkPhoneNumbers", V2017): ["MissingParameter", "Parameter.Empty", "Parameter.Enumeration", "Parameter.Maximum", "InvalidParameter", "NotExists.ContactFlowId", "Conflict.PhoneNumber.Bulk"],
    ("CheckNumberAvaliable", V2017): ["MissingParameter", "Parameter.Empty"],
    ("GetNumberRegionInfo", V2017): ["MissingParameter", "Parameter.Empty", "InvalidParameter"],
    ("ListPhoneNumbers", V2017): ["MissingParameter", "Parameter.Empty", "InvalidParameter"],
    ("ListPhoneNumbers", V2020): ["InvalidParameter"],
    ("ModifyPhoneNumber", V2017): ["MissingParameter", "Parameter.Empty", "Parameter.Enumeration", "Parameter.MaxLength", "InvalidParameter", "NotExists.PhoneNumberId", "NotExists.ContactFlowId"],
    ("PickGlobalOutboundNumbers", V2017): ["MissingParameter", "Parameter.Empty", "InvalidParameter", "Parameter.Minimum", "Parameter.Maximum"],
    ("PickLocalNumber", V2017): ["MissingParameter", "Parameter.Empty", "InvalidParameter", "NotExists.OutboundNumber"],
    ("RemovePhoneNumber", V2017): ["MissingParameter", "Parameter.Empty", "NotExists.PhoneNumberId"],
}

PHONE_RULE = "A phone number: 5-20 digits with an optional leading '+' (handler rule; the seed states none)."
CODE_BOUND = "Bound enforced by the handler; the seed states none."

# ---------------------------------------------------------------------------------------------
# Per-parameter overrides: bounds, defaults and enums the records state in prose, and what the
# handlers enforce. `note` is appended to the description; any other key replaces the field.
# ---------------------------------------------------------------------------------------------
PAGE_2020 = {
    "PageNumber": {"min": 1, "max": 100},
    "PageSize": {"min": 1, "max": 100},
}
REPORT_PAGING = {
    "PageNumber": {"default": 1},
    "PageSize": {"default": 10, "max": 100},
}

CONSTRAINTS: dict[tuple[str, str], dict[str, dict]] = {
    # --- flows (implemented: plugins/flows/src/actions) ---
    ("CreateContactFlow", V2017): {
        "Name": {"required": True, "max_length": 64, "note": f"Flow name, unique within the instance (409 Conflict.ContactFlowName otherwise)."},
        "Description": {"required": False, "max_length": 256, "note": f"Flow description; empty when omitted."},
        "Type": {
            "required": False,
            "default": "Mainflow",
            "enum": [
                ("Mainflow", "main flow (2017 spelling, attested in seed 004 §4.2 and §14.2)"),
                ("Subflow", "sub flow (this gateway's 2017 spelling, following Mainflow)"),
                ("Surveyflow", "satisfaction survey flow (this gateway's 2017 spelling, following Mainflow)"),
                ("MAIN_FLOW", "main flow (2020-07-01 spelling, also accepted)"),
                ("SUB_FLOW", "sub flow (2020-07-01 spelling, also accepted)"),
                ("SURVEY_FLOW", "satisfaction survey flow (2020-07-01 spelling, also accepted)"),
            ],
            "note": "Flow type (ContactFlowType); the spellings are those of plugins/flows/src/flow_type.rs.",
        },
        "Content": {"type": "json-string", "required": True, "max_length": 1000000, "note": "The flow definition (JSON activity graph, the Definition of 2020-07-01 ListContactFlows), validated for the flow's type (400 InvalidParameter naming the bad activity)."},
        "Canvas": {"required": False, "max_length": 1000000, "note": "The editor canvas, stored as sent; empty when omitted."},
    },
    ("CommitContactFlowVersionModification", V2017): {
        "ContactFlowVersionId": {"required": True, "note": "The version to modify. A Published or Archived version is not changed: the modification goes into the flow's draft (created when there is none). 409 Conflict.LockedBy when another principal holds the lock."},
        "Content": {"type": "json-string", "required": True, "max_length": 1000000, "note": "The new flow definition (JSON), validated for the flow's type (400 InvalidParameter naming the bad activity)."},
        "Canvas": {"required": False, "max_length": 1000000, "note": "The new editor canvas; when omitted the version keeps its canvas."},
    },
    ("PublishContactFlowVersion", V2017): {
        "ContactFlowVersionId": {"note": "The version becomes Published and the flow's AppliedVersion; the version published before it becomes Archived."},
        "UseTianGong": {"note": "Validated as a boolean (400 InvalidParameter otherwise); its value does not change the outcome in this gateway, which has a single publishing path."},
    },
    ("ListContactFlows", V2020): {
        **PAGE_2020,
        "SortOrder": {"default": "DESC"},
        "OrderByField": {
            "default": "updatedTime",
            "enum": [
                ("updatedTime", "last update time (the seed's example; default)"),
                ("createdTime", "creation time (accepted by the handler; not in the seed)"),
                ("name", "flow name (accepted by the handler; not in the seed)"),
            ],
            "note": f"The seed gives only the example updatedTime; the accepted set is the {handler(FLOWS_SRC + '/list_contact_flows_v2020.rs')}'s.",
        },
        "SearchPattern": {"max_length": 64, "note": f"Handler: a substring of the name or description, matched literally (% and _ are not wildcards) and ignoring ASCII case. {CODE_BOUND}"},
    },
    # --- numbers (implemented: plugins/numbers/src/actions) ---
    ("AddPhoneNumber", V2017): {
        "PhoneNumber": {"note": PHONE_RULE + " 409 Conflict.PhoneNumber when the number is already bound to any instance."},
        "ContactFlowId": {"max_length": 64, "note": f"Must name a flow of the instance (404 NotExists.ContactFlowId). {CODE_BOUND}"},
    },
    ("AddBulkPhoneNumbers", V2017): {
        "PhoneNumber": {"note": "At most 1000 numbers per call (400 Parameter.Maximum; handler bound, the seed states none). Numbers that are not phone numbers (5-20 digits, optional '+') or 400 numbers with a Usage other than Inbound are reported in FailedPhoneNumbers; numbers already bound (or repeated in the request) in UserdPhoneNumbers."},
        "ContactFlowId": {"max_length": 64, "note": f"Must name a flow of the instance (404 NotExists.ContactFlowId). {CODE_BOUND}"},
        "SkillGroupId": {"max_length": 128, "note": f"Each id at most 128 characters; duplicates are ignored. {CODE_BOUND}"},
    },
    ("ModifyPhoneNumber", V2017): {
        "ContactFlowId": {"max_length": 64, "note": f"Omitted: the bound flow is kept; sent empty: the flow is unbound; sent with an id: that flow (which must exist, 404 NotExists.ContactFlowId) is bound (the seed does not say; handler semantics). {CODE_BOUND}"},
        "SkillGroupId": {"max_length": 128, "note": f"Omitted (no SkillGroupId.* at all): skill groups are kept; only empty values: all are unbound; ids: the list replaces the current one (the seed does not say; handler semantics). {CODE_BOUND}"},
    },
    ("CheckNumberAvaliable", V2017): {
        "Callee": {"note": "A value that is not a phone number (5-20 digits, optional '+') gives CalleeAvaliable.Avaliable = false with a reason, not an error."},
        "Caller": {"note": "When given it must be a phone number of this instance that is active and outbound-capable, else CallerAvaliable.Avaliable = false with a reason; without it CallerAvaliable is {Avaliable: true}."},
    },
    ("GetNumberRegionInfo", V2017): {
        "Number": {"note": PHONE_RULE + " Unknown numbers get empty Province and City."},
    },
    ("ListPhoneNumbers", V2017): {
        "OutboundOnly": {"note": "true/false in any case (the Python SDK sends True/False)."},
    },
    ("ListPhoneNumbers", V2020): {
        **PAGE_2020,
        "SearchPattern": {"note": "Handler: a substring of the number, matched literally."},
    },
    ("PickGlobalOutboundNumbers", V2017): {
        "CalleeNumber": {"note": PHONE_RULE},
        "SkillGroupId": {"max_length": 128, "note": CODE_BOUND},
        "Count": {"default": 1, "min": 1, "max": 100, "note": "Range 1-100: handler bound, the seed states none."},
        "IsVirtual": {"note": "Validated as a boolean; this gateway has no virtual numbers, so it does not change the pick."},
    },
    ("PickLocalNumber", V2017): {
        "CalleeNumber": {"type": "string", "required": True, "note": "The called number: 5-20 digits with an optional leading '+' (handler rule)."},
        "CandidateNumber": {"type": "repeat-list", "item_type": "string", "required": False, "note": "Numbers to choose from (each a phone number); when none is given, the instance's active outbound numbers (Usage Outbound or Bidirection) are the candidates. The choice: same city as the callee, else same province, else any, ties at random."},
    },
    # --- documented bounds and defaults of the other actions (seed prose, via the records) ---
    ("ListCallDetailRecords", V2017): {
        "PageSize": {"max": 100},
        "StartTime": {"default": 0},
        "StopTime": {"default": 0},
        "WithRecording": {"default": True},
        "OrderBy": {"default": "ASC"},
        "ContactType": {"note": "Several values may be sent separated by commas; each must be one of the enum."},
        "ContactDisposition": {"note": "Several values may be sent separated by commas; each must be one of the enum."},
    },
    ("GetConversationDetailByContactId", V2017): {
        "PageSize": {"min": 1, "max": 99},
    },
    ("ListRecordingOfDualTrack", V2017): {
        "StartTime": {"default": 0},
        "StopTime": {"default": 0},
    },
    ("ListAgentSummaryReports", V2017): dict(REPORT_PAGING),
    ("ListAgentSummaryReportsByInterval", V2017): dict(REPORT_PAGING),
    ("ListAgentSummaryReportsSinceMidnight", V2017): dict(REPORT_PAGING),
    ("ListSkillGroupStates", V2017): {
        **REPORT_PAGING,
        # the seed's example is a garbled JSON blob; the record gives a real one
        "SkillGroupIds": {"example": "014a9696-931d-49db-ae96-111d2098a548"},
    },
    ("ListSkillGroupSummaryReports", V2017): dict(REPORT_PAGING),
    ("ListSkillGroupSummaryReportsByInterval", V2017): dict(REPORT_PAGING),
    ("ListSkillGroupSummaryReportsSinceMidnight", V2017): dict(REPORT_PAGING),
    ("GetCallMeasureSummaryReport", V2017): {
        "PageNumber": {"default": 1},
        "PageSize": {"default": 50, "max": 100},
    },
    ("CreateVoiceAppraise", V2017): {
        "IsAppraise": {"default": True},
        "Content": {"type": "json-string"},
    },
    ("SendPredefinedShortMessage", V2017): {
        "TemplateParam": {"type": "json-string"},
    },
    ("ListConfig", V2017): {
        "ConfigItem": {"item_type": "json-string", "drop_enum": True},
    },
    ("queryCampaigns", HW_ISALES): {
        "vdnId": {"min": 1, "max": 9999},
        "name": {"max_length": 30},
        "status": {"default": 0},
        "curPage": {"default": 1},
        "rowsPerPage": {"default": 10, "max": 100},
    },
}

# Repeat lists whose items are not strings.
ITEM_TYPES = {"SkillLevel": "integer"}

# Parameters of actions the seed does not document (overview-only, or named in the overview only):
# names from sdk-actions-2017.txt; type / required are a best reading (SDK_PARAMS) unless
# CONSTRAINTS says otherwise (implemented handlers).
SDK_PARAMS: dict[tuple[str, str], dict[str, dict]] = {
    ("CreateContactFlow", V2017): {"_order": ["InstanceId", "Name", "Description", "Type", "Content", "Canvas"]},
    ("CommitContactFlowVersionModification", V2017): {"_order": ["InstanceId", "ContactFlowVersionId", "Content", "Canvas"]},
    ("PickLocalNumber", V2017): {"_order": ["InstanceId", "CalleeNumber", "CandidateNumber"]},
    ("ListRecordingsByContactId", V2017): {
        "_order": ["InstanceId", "ContactId"],
        "ContactId": {"required": True, "note": "Call (contact) ID whose recordings to list."},
    },
    ("DownloadRecording", V2017): {
        "_order": ["InstanceId", "FileName", "Channel"],
        "FileName": {"required": True, "note": "Recording file name (as listed by ListRecordingsByContactId, presumably)."},
        "Channel": {"required": False, "note": "Audio track (channel); cf. DownloadAllTypeRecording's Channel."},
    },
    ("ListAgentStates", V2017): {
        "_order": ["InstanceId", "AgentIds", "SkillGroupId", "State", "PageNumber", "PageSize"],
        "AgentIds": {"required": False, "note": "Agent ids, presumably comma-separated as in ListAgentSummaryReports."},
        "SkillGroupId": {"required": False, "note": "Skill group filter."},
        "State": {"required": False, "note": "Agent state filter; values undocumented."},
        "PageNumber": {"type": "integer", "required": False, "note": "Page number."},
        "PageSize": {"type": "integer", "required": False, "note": "Page size."},
    },
    ("GetInstanceSummaryReportByInterval", V2017): {
        "_order": ["InstanceId", "StartTime", "EndTime", "Interval", "PageNumber", "PageSize"],
        "StartTime": {"required": True, "note": "Start date-time, presumably yyyy-MM-dd HH:mm:ss as in GetInstanceSummaryReport."},
        "EndTime": {"required": True, "note": "End date-time, presumably yyyy-MM-dd HH:mm:ss as in GetInstanceSummaryReport."},
        "Interval": {"required": False, "note": "Bucket size; the sibling ByInterval reports document Daily and Minute5."},
        "PageNumber": {"type": "integer", "required": False, "note": "Page number."},
        "PageSize": {"type": "integer", "required": False, "note": "Page size."},
    },
}

# The four actions named in the seed's overview table only (actions.md, last line): their plugin.
UNDOCUMENTED_PLUGIN = {
    "ListRecordingsByContactId": "recordings",
    "DownloadRecording": "recordings",
    "ListAgentStates": "agents",  # overview groups it with ListSkillGroupStates, which actions.md puts in agents
    "GetInstanceSummaryReportByInterval": "reports",
}

# Actions scoped to the whole account although they are Alibaba RPC (no InstanceId parameter).
ACCOUNT_SCOPED = {
    ("GetCallMeasureSummaryReport", V2017),
    ("ListCallMeasureSummaryReports", V2017),
}

# Huawei request headers that are transport or authentication, not parameters.
SKIP_HEADERS = {"Authorization", "Content-Type"}

IMPLEMENTED = {key for key in HANDLER_ERRORS}


def fail(msg: str) -> None:
    print(f"import_specs: {msg}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------------------------
# Reading the references
# ---------------------------------------------------------------------------------------------
def load_sdk(path: Path) -> dict[str, list[dict]]:
    """`Action[ {GET}]: P, P[body], P.N, P*, P(json)` -> {action: [{name, repeat, body, star}]}."""
    out: dict[str, list[dict]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head, _, rest = line.partition(":")
        action = head.split()[0]
        params = []
        for raw in (p.strip() for p in rest.split(",")):
            if not raw:
                continue
            m = re.fullmatch(r"([A-Za-z0-9_]+)((?:\.N|\.\*|\*|\(json\)|\[body\])*)", raw)
            if not m:
                fail(f"{path.name}: cannot read parameter {raw!r} of {action}")
            marks = m.group(2)
            params.append(
                {
                    "name": m.group(1),
                    "repeat": marks.startswith(".N"),
                    "star": "*" in marks.replace(".*", ""),
                    "body": "[body]" in marks,
                }
            )
        out[action] = params
    return out


def load_index(path: Path) -> tuple[list[dict], list[str]]:
    """The rows of actions.md and the names of its last line (actions without a record)."""
    rows: list[dict] = []
    undocumented: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 7 and cells[0] not in ("domain", "---"):
            if set(cells[0]) <= {"-"}:
                continue
            rows.append({"domain": cells[0], "action": cells[1], "version": cells[2], "auth": cells[5]})
        elif line.startswith("Actions the seed's overview table names but documents nowhere"):
            head = line.split(":", 1)[1].split("(")[0]
            undocumented = [n.strip() for n in head.split(",") if n.strip()]
    if not rows or len(undocumented) != 4:
        fail(f"{path}: unexpected layout ({len(rows)} rows, {len(undocumented)} undocumented)")
    return rows, undocumented


def load_overview(seed: Path) -> dict[str, tuple[int, str]]:
    """{action: (line, auth)} from the overview table of seed 004 (its first 200 lines)."""
    out: dict[str, tuple[int, str]] = {}
    lines = seed.read_text(encoding="utf-8").splitlines()
    for no, line in enumerate(lines[:200], start=1):
        for m in re.finditer(r"\[([A-Za-z0-9]+)\]\(#\)\|[^|]*\|(BEARERTOKEN/AK|BEARERTOKEN)", line):
            out.setdefault(m.group(1), (no, m.group(2)))
    return out


# ---------------------------------------------------------------------------------------------
# Building one spec
# ---------------------------------------------------------------------------------------------
def auth_modes(version: str, overview_auth: str | None) -> list[str]:
    if version == HW_CCM:
        return ["huawei-token"]
    if version == HW_ISALES:
        return ["huawei-auth-v2"]
    if overview_auth == "BEARERTOKEN":
        return ["bearer"]
    if overview_auth in (None, "", "BEARERTOKEN/AK"):
        return ["ak", "bearer"]
    fail(f"unknown auth {overview_auth!r}")
    return []


def typed(value, ptype: str):
    """A record value (often a string) as the TOML type of a parameter of type `ptype`."""
    if value is None:
        return None
    base = ptype
    if base in ("integer", "long"):
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value.strip())
        return str(value)
    if base == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return str(value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def example_of(value, ptype: str):
    if value is None:
        return None
    if isinstance(value, str) and value.strip() in ("", "null", "xxx"):
        return None
    return typed(value, "string" if ptype in ("repeat-list", "json-string") else ptype)


def sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?)]" else text + "."


def join(*parts: str | None) -> str:
    return " ".join(sentence(p) for p in parts if p)


def apply_overrides(param: dict, over: dict) -> None:
    for key, value in over.items():
        if key == "note":
            param["description"] = join(param.get("description"), value)
        elif key == "drop_enum":
            enum = param.pop("enum", None)
            if enum:
                names = ", ".join(f"{e['value']} ({e['meaning']})" for e in enum)
                param["description"] = join(param.get("description"), f"Known item names: {names}")
        elif key == "enum":
            param["enum"] = [{"value": typed(v, param["type"]), "meaning": m} for v, m in value]
        elif key == "default":
            param["default"] = value
        else:
            param[key] = value


def param_from_record(rec: dict, p: dict, sdk_params: dict[str, dict], version: str, http: dict | None) -> dict | None:
    raw_name = p["name"]
    if version in (V2017, V2020) and raw_name in COMMON_PARAMS:
        return None
    repeat = raw_name.endswith(".N") or p["type"].lower() == "repeatlist"
    name = raw_name[:-2] if raw_name.endswith(".N") else raw_name
    ptype = "repeat-list" if repeat else REQ_TYPES.get(p["type"].lower())
    if ptype is None:
        fail(f"{rec['action']} {version}: unknown request type {p['type']!r} of {raw_name}")
    param: dict = {"name": name, "type": ptype}
    if repeat:
        param["item_type"] = ITEM_TYPES.get(name, "string")
    param["required"] = bool(p["required"])
    # location
    if version in (HW_CCM, HW_ISALES):
        path = (http or {}).get("path_template", "")
        param["location"] = "path" if "{" + name + "}" in path else "query"
    else:
        sdk = sdk_params.get(name)
        param["location"] = "body" if sdk and sdk["body"] else "query"
    if p.get("enum"):
        value_type = param.get("item_type", ptype) if repeat else ptype
        param["enum"] = [{"value": typed(e["value"], value_type), "meaning": e["meaning_en"]} for e in p["enum"]]
    desc = p.get("description_en") or ""
    if version == HW_ISALES or version == HW_CCM:
        desc = re.sub(r"^(Path|Query) parameter\.\s*", "", desc)
    printed = p.get("name_as_printed")
    if printed and printed not in desc:
        desc = join(desc, f"Printed '{printed}' in the seed")
    param["description"] = sentence(desc)
    ex = example_of(p.get("example"), ptype)
    if ex is not None:
        param["example"] = ex
    return param


def params_from_sdk(action: str, version: str, sdk: list[dict], hints: dict[str, dict]) -> list[dict]:
    by_name = {s["name"]: s for s in sdk}
    order = hints.get("_order") or []
    names = [n for n in order if n in by_name] + [s["name"] for s in sdk if s["name"] not in order]
    if "InstanceId" in names:
        names.remove("InstanceId")
        names.insert(0, "InstanceId")
    out = []
    for name in names:
        s = by_name[name]
        hint = hints.get(name, {})
        if s["repeat"]:
            ptype = "repeat-list"
        elif name in ("PageNumber", "PageSize"):
            ptype = "integer"
        else:
            ptype = "string"
        param: dict = {"name": name, "type": hint.get("type", ptype)}
        if param["type"] == "repeat-list":
            param["item_type"] = ITEM_TYPES.get(name, "string")
        param["required"] = hint.get("required", name == "InstanceId")
        param["location"] = "body" if s["body"] else "query"
        param["description"] = "Call center instance ID." if name == "InstanceId" else sentence(hint.get("note", ""))
        origin = (
            "Not in the seed: the name (and its "
            + ("form-body" if s["body"] else "query")
            + " location) is what the official SDK sends (sdk-actions-2017.txt)"
        )
        if (action, version) in IMPLEMENTED:
            origin += "; type, required and bounds follow the handler"
        else:
            origin += "; type and required are a best reading"
        param["_origin"] = origin
        out.append(param)
    return out


def response_from_record(rec: dict, version: str) -> list[dict]:
    out = []
    aliyun = version in (V2017, V2020)
    for r in rec.get("response", []):
        path = r["path"]
        if aliyun and path in ENVELOPE_FIELDS:
            continue
        rtype = RESP_TYPES.get(r["type"].strip().lower())
        if rtype is None:
            fail(f"{rec['action']} {version}: unknown response type {r['type']!r} of {path}")
        desc = r.get("description_en") or ""
        if r["type"].strip().lower() == "number":
            desc = join(desc, "Documented type: Number")
        elif r["type"].strip().lower() == "struct":
            desc = join(desc, "Documented type: Struct")
        if r.get("enum"):
            values = "; ".join(f"{e['value']} = {e['meaning_en']}" for e in r["enum"])
            desc = join(desc, f"Values: {values}")
        printed = r.get("name_as_printed")
        if printed and printed not in desc:
            desc = join(desc, f"Printed '{printed}' in the seed table; the examples and the SDK use the name here")
        out.append({"path": path, "type": rtype, "description": sentence(desc)})
    return out


def rebase(entries: list[dict], old: str, new: str) -> list[dict]:
    out = []
    for e in entries:
        if e["path"].startswith(old + "."):
            out.append(dict(e, path=new + e["path"][len(old):]))
    return out


def hand_responses(action: str, records: dict) -> list[dict] | None:
    """Responses of overview-only actions with a handler: the official SDK models, as the
    handlers document them, with field descriptions taken from the documented sibling actions."""
    if action in ("CreateContactFlow", "CommitContactFlowVersionModification"):
        flows = response_from_record(records[("ListContactFlows", V2017)], V2017)
        flow = rebase(flows, "ContactFlows.ContactFlow[]", "ContactFlow")
        extra = [
            {"path": "ContactFlow.Versions.ContactFlowVersion[].Canvas", "type": "string", "description": "Editor canvas of the version (official SDK model; not in seed 004)."},
            {"path": "ContactFlow.Versions.ContactFlowVersion[].Content", "type": "string", "description": "Flow definition (JSON) of the version (official SDK model; not in seed 004)."},
        ]
        flow = flow + extra
        if action == "CreateContactFlow":
            head = [{"path": "ContactFlow", "type": "object", "description": "The contact flow created, with its one (Draft) version; AppliedVersion is empty. Shape of the official 2017-07-05 SDK models (not in seed 004)."}]
            return head + sort_paths(flow)
        version = rebase(flow, "ContactFlow.Versions.ContactFlowVersion[]", "ContactFlowVersion")
        head = [{"path": "ContactFlowVersion", "type": "object", "description": "The version that now holds the modification (the draft when a Published or Archived version was named). Shape of the official 2017-07-05 SDK models (not in seed 004)."}]
        return head + sort_paths(version)
    if action == "PickLocalNumber":
        pick = response_from_record(records[("PickGlobalOutboundNumbers", V2017)], V2017)
        pair = rebase(pick, "DialNumberPairs.DialNumberPair[]", "Data")
        head = [{"path": "Data", "type": "object", "description": "The callee and the picked caller number, each with its home region. Shape of the official 2017-07-05 SDK models (not in seed 004)."}]
        return head + sort_paths(pair)
    return None


def sort_paths(entries: list[dict]) -> list[dict]:
    return sorted(entries, key=lambda e: e["path"])


def error_entry(key: str) -> dict:
    status, message = ERR[key]
    code = "Conflict.PhoneNumber" if key == "Conflict.PhoneNumber.Bulk" else ("Parameter.Maximum" if key == "Parameter.MaxLength" else key)
    return {"status": status, "code": code, "message": message}


def errors_for(action: str, version: str, rec: dict | None, instance: str | None, paged_2020: bool) -> list[dict]:
    out: list[dict] = []
    seen: set[tuple] = set()

    def add(e: dict) -> None:
        key = (e["status"], e.get("code"), e["message"] if e.get("code") is None else None)
        if key not in seen:
            seen.add(key)
            out.append(e)

    for e in (rec or {}).get("errors", []):
        entry = {"status": int(e["http_status"])}
        if e.get("code"):
            entry["code"] = e["code"]
        entry["message"] = e["message"]
        add(entry)
    if paged_2020:
        for key in SEED_002_ERRORS:
            add(error_entry(key))
    if (action, version) in HANDLER_ERRORS:
        for key in HANDLER_ERRORS[(action, version)]:
            add(error_entry(key))
        if instance == "InstanceId":
            add(error_entry("NotExists.InstanceId"))
    return out


def build(action: str, version: str, plugin: str, rec: dict | None, sdk2017, sdk2020, overview, records) -> dict:
    key = (action, version)
    spec: dict = {"action": action, "version": version, "dialect": DIALECT[version], "plugin": plugin}
    undocumented = rec is None
    overview_only = undocumented or bool(rec.get("overview_only"))

    # auth
    if undocumented:
        spec["auth"] = auth_modes(version, overview[action][1] if action in overview else None)
    else:
        spec["auth"] = auth_modes(version, rec.get("auth"))

    # summary
    if undocumented:
        line = overview[action][0] if action in overview else None
        spec["summary"] = (
            f"Undocumented: named in the overview table of seed 004 (line {line}) only, with no section, "
            f"parameters or response anywhere in the seeds. Parameter names are those of the official SDK "
            f"(sdk-actions-2017.txt); the response is unknown."
        )
        desc = OVERVIEW_DESCRIPTIONS.get(action)
        if desc:
            spec["summary"] = desc + " " + spec["summary"]
    else:
        spec["summary"] = sentence(rec["summary_en"])
        if rec.get("overview_only"):
            if action in sdk2017:
                spec["summary"] += " Listed only in the overview table of seed 004; parameters from the official SDK (sdk-actions-2017.txt)."
            else:
                spec["summary"] += (
                    " Listed only in the overview table of seed 004; no source at hand documents its parameters"
                    " or response (it is not in sdk-actions-2017.txt either), so none are specified."
                )

    # http
    http = None
    if version in (HW_CCM, HW_ISALES):
        http = rec["http"]

    # params
    params: list[dict] = []
    if version in (V2017, V2020):
        sdk_list = (sdk2017 if version == V2017 else sdk2020).get(action, [])
        sdk_by_name = {s["name"]: s for s in sdk_list}
        if overview_only:
            params = params_from_sdk(action, version, sdk_list, SDK_PARAMS.get(key, {}))
        else:
            for p in rec["request"]:
                built = param_from_record(rec, p, sdk_by_name, version, http)
                if built:
                    params.append(built)
            # parameters the SDK sends that the seed's table lacks
            have = {p["name"] for p in params} | COMMON_PARAMS
            for s in sdk_list:
                if s["name"] not in have:
                    params.append(
                        {
                            "name": s["name"],
                            "type": "repeat-list" if s["repeat"] else "string",
                            **({"item_type": "string"} if s["repeat"] else {}),
                            "required": False,
                            "location": "body" if s["body"] else "query",
                            "description": "Not in the seed's table: the official SDK sends it (sdk-actions-2017.txt); type and required are a best reading.",
                        }
                    )
    else:
        for p in rec["request"]:
            built = param_from_record(rec, p, {}, version, http)
            if built:
                params.append(built)
        for h in (http or {}).get("headers", []):
            if h["name"] in SKIP_HEADERS:
                continue
            param = {"name": h["name"], "type": "string", "required": bool(h["required"]), "location": "header", "description": sentence(h["description_en"])}
            if h["name"] == "locale":
                param["default"] = "zh_CN"
                param["example"] = "en_US"
            params.append(param)

    overrides = CONSTRAINTS.get(key, {})
    by_name = {p["name"]: p for p in params}
    for name, over in overrides.items():
        if name.startswith("_"):
            continue
        if name not in by_name:
            fail(f"{action} {version}: override for unknown parameter {name}")
        apply_overrides(by_name[name], over)
    for p in params:
        origin = p.pop("_origin", None)
        if origin:
            p["description"] = join(p.get("description"), origin)
        if not p.get("description"):
            p.pop("description", None)
        if p["type"] == "repeat-list":
            p.setdefault("item_type", ITEM_TYPES.get(p["name"], "string"))
        else:
            p.pop("item_type", None)

    # instance
    names = {p["name"] for p in params}
    if version == HW_CCM:
        spec["instance"] = "account"
    elif version == HW_ISALES:
        spec["instance"] = "vdnId"
    elif key in ACCOUNT_SCOPED:
        spec["instance"] = "account"
    elif "InstanceId" in names:
        spec["instance"] = "InstanceId"

    # envelope
    if version in (HW_CCM, HW_ISALES):
        spec["envelope"] = []
    elif rec and rec.get("response"):
        tops = {r["path"] for r in rec["response"]}
        spec["envelope"] = [f for f in ENVELOPE_FIELDS if f in tops]
    elif action == "PickLocalNumber":
        # the official SDK models (and the handler) have no HttpStatusCode
        spec["envelope"] = ["RequestId", "Success", "Code", "Message"]
    else:
        spec["envelope"] = list(ENVELOPE_FIELDS) if version == V2017 else [f for f in ENVELOPE_FIELDS if f != "Success"]

    # source
    if undocumented:
        line = overview[action][0]
        seed_name = SEED_004
        spec["source"] = {"seed": seed_name, "section": "1", "lines": [line, line], "overview_only": True}
    else:
        seed_name = rec.get("seed_file") or SEED_004
        section = rec.get("section")
        if rec.get("overview_only"):
            section = "1"
        elif section == rec.get("seed_file"):
            section = "whole file"
        src = {"seed": seed_name, "section": section, "lines": list(rec["seed_lines"])}
        if rec.get("overview_only"):
            src["overview_only"] = True
        spec["source"] = src

    if http:
        spec["http"] = {"method": http["method"], "path": http["path_template"]}

    spec["param"] = params

    # response
    responses = None
    if overview_only:
        responses = hand_responses(action, records)
    if responses is None and rec is not None:
        responses = response_from_record(rec, version)
    spec["response"] = responses or []

    # errors
    paged_2020 = version == V2020 and {"PageNumber", "PageSize"} <= names
    spec["error"] = errors_for(action, version, rec, spec.get("instance"), paged_2020)
    return spec


SEED_004 = "004_7ffd889ccd3fb3d9.txt"

# The overview table's own description of the undocumented actions (seed 004, translated).
OVERVIEW_DESCRIPTIONS = {
    "ListRecordingsByContactId": "Finds the recordings of a call by its contact ID.",
    "DownloadRecording": "Gets the download link of a recording file.",
    "ListAgentStates": "Gets agent states.",
    "GetInstanceSummaryReportByInterval": "Instance-wide summary report broken down into time buckets.",
}


# ---------------------------------------------------------------------------------------------
# TOML rendering (deterministic, no third-party writer)
# ---------------------------------------------------------------------------------------------
def toml_str(s: str) -> str:
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot render {v!r}")


TOP_KEYS = ["action", "version", "dialect", "plugin", "auth", "summary", "instance", "envelope"]
PARAM_KEYS = ["name", "type", "item_type", "required", "location", "min", "max", "max_length", "enum", "default", "description", "example"]
RESPONSE_KEYS = ["path", "type", "description"]
ERROR_KEYS = ["status", "code", "message"]
SOURCE_KEYS = ["seed", "section", "lines", "overview_only"]
HTTP_KEYS = ["method", "path"]


def header_comment(spec: dict) -> str:
    src = spec["source"]
    a, b = src["lines"]
    lines = f"line {a}" if a == b else f"lines {a}-{b}"
    if src.get("overview_only"):
        where = f"seed {src['seed']} overview table (§1), {lines}"
        if spec.get("param"):
            where += "; parameters from sdk-actions-2017.txt"
    elif src["section"] == "whole file":
        where = f"seed {src['seed']} (whole file), {lines}"
    else:
        where = f"seed {src['seed']} §{src['section']}, {lines}"
    return (
        f"# {spec['action']} {spec['version']} — Source: {where}.\n"
        "# First written by tools/import_specs.py from shared/reference/actions.jsonl; hand edits are\n"
        "# welcome (the importer refuses to overwrite a changed file without --force).\n"
    )


def render(spec: dict) -> str:
    out = [header_comment(spec)]
    for k in TOP_KEYS:
        if k in spec:
            out.append(f"{k} = {toml_value(spec[k])}\n")
    out.append("\n[source]\n")
    for k in SOURCE_KEYS:
        if k in spec["source"]:
            out.append(f"{k} = {toml_value(spec['source'][k])}\n")
    if "http" in spec:
        out.append("\n[http]\n")
        for k in HTTP_KEYS:
            out.append(f"{k} = {toml_value(spec['http'][k])}\n")
    for table, keys in (("param", PARAM_KEYS), ("response", RESPONSE_KEYS), ("error", ERROR_KEYS)):
        for item in spec.get(table, []):
            unknown = set(item) - set(keys)
            if unknown:
                fail(f"{spec['action']}: unknown {table} keys {sorted(unknown)}")
            out.append(f"\n[[{table}]]\n")
            for k in keys:
                if k in item and item[k] is not None and item[k] != "" and item[k] != []:
                    out.append(f"{k} = {toml_value(item[k])}\n")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared/ folder (default /work/shared)")
    ap.add_argument("--force", action="store_true", help="overwrite files that differ from the import")
    ap.add_argument("--dry-run", action="store_true", help="write nothing, report what would change")
    ap.add_argument("actions", nargs="*", help="only these actions (all their versions)")
    args = ap.parse_args()

    ref = args.shared / "reference"
    rows, undocumented = load_index(ref / "actions.md")
    records = {}
    for line in (ref / "actions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            records[(rec["action"], rec["version"])] = rec
    sdk2017 = load_sdk(ref / "sdk-actions-2017.txt")
    sdk2020 = load_sdk(ref / "sdk-actions-2020.txt")
    overview = load_overview(args.shared / "seeds" / SEED_004)

    jobs: list[tuple[str, str, str, dict | None]] = []
    for row in rows:
        key = (row["action"], row["version"])
        if key not in records:
            fail(f"actions.md row {key} has no record in actions.jsonl")
        rec = records[key]
        if rec["domain"] != row["domain"]:
            fail(f"{key}: domain {rec['domain']!r} in actions.jsonl, {row['domain']!r} in actions.md")
        jobs.append((row["action"], row["version"], row["domain"], rec))
    if len(records) != len(rows):
        fail(f"actions.jsonl has {len(records)} records, actions.md {len(rows)} rows")
    for name in undocumented:
        if name not in overview:
            fail(f"{name} is not in the overview table of seed 004")
        if name not in sdk2017:
            fail(f"{name} is not in sdk-actions-2017.txt")
        jobs.append((name, V2017, UNDOCUMENTED_PLUGIN[name], None))

    if args.actions:
        wanted = set(args.actions)
        jobs = [j for j in jobs if j[0] in wanted]
        missing = wanted - {j[0] for j in jobs}
        if missing:
            fail(f"unknown actions: {', '.join(sorted(missing))}")

    written, unchanged, refused = [], [], []
    for action, version, plugin, rec in sorted(jobs, key=lambda j: (j[2], j[0], j[1])):
        spec = build(action, version, plugin, rec, sdk2017, sdk2020, overview, records)
        text = render(spec)
        path = REPO / "plugins" / plugin / "api" / f"{action}.{version}.toml"
        rel = path.relative_to(REPO)
        if path.exists():
            old = path.read_text(encoding="utf-8")
            if old == text:
                unchanged.append(rel)
                continue
            if not args.force:
                refused.append(rel)
                continue
        if not args.dry_run:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        written.append(rel)

    verb = "would write" if args.dry_run else "wrote"
    for rel in written:
        print(f"{verb} {rel}")
    print(f"{len(written)} {verb}, {len(unchanged)} unchanged, {len(refused)} refused (changed by hand)")
    for rel in refused:
        print(f"  refused: {rel} differs from the import; rerun with --force to overwrite", file=sys.stderr)
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())

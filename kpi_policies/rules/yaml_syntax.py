"""Y, YAML syntax and loading: the file must be readable, unambiguous YAML.

These findings are made by :mod:`kpi_policies.load` before anything else runs;
the classes here carry their ids and documentation. A file with a Y error
(other than Y002, Y007, Y008) is not judged further, but never stops the
other files of the run.
"""

from __future__ import annotations

from kpi_policies.result import Severity
from kpi_policies.rules.base import FileTextRule


class YamlSyntaxError(FileTextRule):
    """File is not valid YAML.

    ## Why it matters
    A plan that does not parse cannot be checked, and a reviewer cannot trust
    what an editor shows of it. The finding points at the line and column
    where the parser gave up, and names where the open construct began.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-CONVERSION, KPI-AOV
        measurement: {tool: crm}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-CONVERSION]
    ```
    """

    id = "Y001"
    name = "yaml.syntax-error"
    severity = Severity.ERROR


class DuplicateKey(FileTextRule):
    """Mapping has the same key twice.

    ## Why it matters
    YAML 1.2 requires keys to be unique; parsers disagree on which value wins,
    so a plan with `target:` twice means different things to different
    tools. The first value is kept and the duplicate reported.

    ## Fails
    ```yaml
    metadata:
      owner: head-of-marketing
      owner: cmo
    ```

    ## Passes
    ```yaml
    metadata:
      owner: head-of-marketing
    ```
    """

    id = "Y002"
    name = "yaml.duplicate-key"
    severity = Severity.ERROR


class Encoding(FileTextRule):
    """File is not UTF-8 text, or holds characters YAML does not allow.

    ## Why it matters
    Plans are shared text: undecodable bytes or control characters make the
    file read differently in each tool. Save plans as UTF-8 (a byte-order
    mark is accepted; Vietnamese and other scripts are fine).

    ## Fails
    ```text
    (a file saved as Windows-1258 or Latin-1: the byte 0xE1 of "á" is not UTF-8)
    ```

    ## Passes
    ```yaml
    metadata:
      title: Doanh thu online
    ```
    """

    id = "Y003"
    raw_examples = True
    name = "yaml.encoding"
    severity = Severity.ERROR


class EmptyFile(FileTextRule):
    """File is empty or holds only comments.

    ## Why it matters
    An empty file in the plans folder is usually a mistake in a pull request
    (a file emptied instead of deleted); it defines nothing to check.

    ## Fails
    ```yaml
    # nothing but a comment
    ```

    ## Passes
    ```yaml
    apiVersion: kpi-policies/v1
    kind: KpiPlan
    ```
    """

    id = "Y004"
    name = "yaml.empty-file"
    severity = Severity.ERROR


class AliasProblem(FileTextRule):
    """Alias is undefined, refers to its own ancestor, or expands too far.

    ## Why it matters
    Anchors and aliases (`&a`, `*a`) can make a small file expand to billions
    of nodes (the "billion laughs" attack) or loop forever. A plan never needs
    that; the file is refused with the line of the offending alias.

    ## Fails
    ```yaml
    a: &a [x, x, x, x, x, x, x, x, x, x]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
    f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]      # a million nodes
    ```

    ## Passes
    ```yaml
    owner: &owner head-of-marketing
    reviewer: *owner
    ```
    """

    id = "Y005"
    name = "yaml.alias"
    severity = Severity.ERROR


class TooDeep(FileTextRule):
    """Nesting is deeper than any plan needs.

    ## Why it matters
    A plan nests about six levels. Hundreds of nested brackets only serve to
    exhaust a parser's stack; the file is refused beyond 64 levels.

    ## Fails
    ```yaml
    a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
    ```

    ## Passes
    ```yaml
    a: [[1, 2], [3, 4]]
    ```
    """

    id = "Y006"
    name = "yaml.too-deep"
    severity = Severity.ERROR


class NotFinite(FileTextRule):
    """Number is NaN or an infinity.

    ## Why it matters
    `.nan` and `.inf` are valid YAML but not a baseline, target or actual any
    business can reach or compare; JSON Schema and reports cannot carry them.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: .inf, due: 2027-12-31}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 2.4, due: 2027-12-31}
    ```
    """

    id = "Y007"
    name = "yaml.not-finite"
    severity = Severity.ERROR


class MultipleDocuments(FileTextRule):
    """File holds more than one YAML document.

    ## Why it matters
    One file is one plan, so ids, reviews and suppressions map to one
    document. Only the first document is checked; split the others into
    files of their own.

    ## Fails
    ```yaml
    kind: KpiPlan
    ---
    kind: KpiPlan
    ```

    ## Passes
    ```yaml
    kind: KpiPlan
    ```
    """

    id = "Y008"
    name = "yaml.multiple-documents"
    severity = Severity.ERROR


class ComplexKey(FileTextRule):
    """Mapping key is itself a mapping or a list.

    ## Why it matters
    YAML allows `? [a, b]` as a key, JSON and every plan field do not. The
    pair is left out and reported.

    ## Fails
    ```yaml
    ? [a, b]
    : value
    ```

    ## Passes
    ```yaml
    a: value
    ```
    """

    id = "Y009"
    name = "yaml.complex-key"
    severity = Severity.ERROR


class Unreadable(FileTextRule):
    """File cannot be read.

    ## Why it matters
    A plan that exists but cannot be opened (permissions, a broken link) would
    otherwise pass silently; it is reported and the other files go on. A
    device, a pipe, a file over 20 MB or a link leading out of the repository
    is refused without being read: a pull request can neither hang a run nor
    make it read a file elsewhere on the machine.

    ## Fails
    ```text
    (a plan file without read permission)
    ```

    ## Passes
    ```yaml
    apiVersion: kpi-policies/v1
    ```
    """

    id = "Y010"
    raw_examples = True
    name = "yaml.unreadable"
    severity = Severity.ERROR

"""Writing a Derivation out: the Wengert list, the forward-mode and reverse-mode tables and
the check line, as text, Markdown, LaTeX or HTML, with headings in English or Japanese."""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass

from bibun.viz import formulas as F
from bibun.viz.explain import Derivation

FORMATS = ("text", "markdown", "latex", "html")
LANGS = ("en", "ja")

LABELS = {
    "en": {
        "at": "at {values}",
        "forward_pass": "Forward pass (Wengert list)",
        "forward_mode": "Forward mode: tangents {t}, one pass per input",
        "reverse_mode": "Reverse mode: adjoints {b}, one pass from the output back",
        "input": "input",
        "seed": "seed",
        "columns_primal": ("variable", "definition", "value"),
        "columns_tangent": ("tangent", "rule", "value"),
        "columns_adjoint": ("adjoint", "rule", "value"),
        "result_forward": "{d} = {t} = {value}",
        "result_reverse": "gradient: {items}",
        "check_ok": "Check: {items}: forward mode, reverse mode and backward() agree.",
        "check_bad": "Check FAILED: forward mode, reverse mode and backward() disagree: {items}",
        "forward": "forward",
        "reverse": "reverse",
    },
    "ja": {
        "at": "{values} のとき",
        "forward_pass": "順伝搬 (ウェンガート・リスト)",
        "forward_mode": "フォワードモード: 入力 {x} についての接線 {t} (入力ごとに 1 回)",
        "reverse_mode": "バックワードモード: 随伴 {b} (出力側から 1 回ですべての入力)",
        "input": "入力",
        "seed": "初期値",
        "columns_primal": ("変数", "定義", "値"),
        "columns_tangent": ("接線", "計算", "値"),
        "columns_adjoint": ("随伴", "計算", "値"),
        "result_forward": "{d} = {t} = {value}",
        "result_reverse": "勾配: {items}",
        "check_ok": "確認: {items}: フォワードモード、バックワードモード、backward() の結果が一致します。",
        "check_bad": "確認: 不一致です。フォワードモード、バックワードモード、backward(): {items}",
        "forward": "フォワード",
        "reverse": "バックワード",
    },
}


@dataclass
class Row:
    lhs: str
    rhs: str  # the rule in symbols; "" for inputs and seeds
    value: str
    note: str = ""


@dataclass
class Section:
    title: str
    columns: tuple[str, str, str]
    rows: list[Row]
    footer: str = ""


def _style(fmt: str) -> F.TextStyle:
    return F.LATEX if fmt == "latex" else F.TEXT


def sections(d: Derivation, fmt: str = "text", lang: str = "en") -> tuple[str, list[Section], str]:
    """The title, the three tables and the check line, with formulas in ``fmt``'s notation."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    L, s = LABELS[lang], _style(fmt)
    num = F.number
    m = _math if fmt == "latex" else str
    values = m(", ".join(f"{s.name(x)} = {num(v)}" for x, v in d.inputs.items()))
    title = m(f"{s.name(d.output)} = {_title(d, fmt)}") + "   " + L["at"].format(values=values)

    def args_of(step: object) -> list[F.Piece]:
        return [F.operand(s, a, c) for a, c in zip(step.args, step.constants)]

    def partial(step: object, i: int) -> F.Piece:
        return F.local_derivative(s, step.op, i, args_of(step), step.args, step.name, step.constants, step.params)

    primal = [Row(s.name(x), "", num(v), L["input"]) for x, v in d.inputs.items()]
    for step in d.steps:
        rhs = F.expression(s, step.op, args_of(step), step.name, step.constants, step.params)[0]
        primal.append(Row(s.name(step.name), rhs, num(step.value)))

    tangent = d.tangents[d.wrt]
    forward = [Row(s.tangent(x), "", num(tangent[x]), L["seed"]) for x in d.inputs]
    for step in d.steps:
        terms = [F.chain_term(s, partial(step, i), s.tangent(a)) for i, a in enumerate(step.args) if a is not None]
        forward.append(Row(s.tangent(step.name), F.sum_terms(s, terms)[0], num(tangent[step.name])))
    d_out = s.partial(s.name(d.output), s.name(d.wrt))[0]
    forward_footer = m(L["result_forward"].format(d=d_out, t=s.tangent(d.output), value=num(tangent[d.output])))

    reverse = [Row(s.adjoint(d.output), "", "1", L["seed"])]
    for name in [st.name for st in reversed(d.steps[:-1])] + list(reversed(list(d.inputs))):
        terms = [F.chain_term(s, partial(st, i), s.adjoint(st.name), factor_first=True) for st, i in d.consumers(name)]
        reverse.append(Row(s.adjoint(name), F.sum_terms(s, terms)[0], num(d.adjoints[name])))
    grads = m(
        ", ".join(
            f"{s.partial(s.name(d.output), s.name(x))[0]} = {s.adjoint(x)} = {num(d.adjoints[x])}" for x in d.inputs
        )
    )
    t_def = m(f"{s.tangent('v')} = {s.partial('v', s.name(d.wrt))[0]}")
    b_def = m(f"{s.adjoint('v')} = {s.partial(s.name(d.output), 'v')[0]}")
    out = [
        Section(L["forward_pass"], L["columns_primal"], primal),
        Section(
            L["forward_mode"].format(t=t_def, x=m(s.name(d.wrt))),
            L["columns_tangent"],
            forward,
            forward_footer,
        ),
        Section(
            L["reverse_mode"].format(b=b_def),
            L["columns_adjoint"],
            reverse,
            L["result_reverse"].format(items=grads),
        ),
    ]
    return title, out, check_line(d, fmt, lang)


def _math(text: str) -> str:
    return f"${text}$"


def _title(d: Derivation, fmt: str) -> str:
    if fmt == "latex":
        return "\\texttt{" + d.title.replace("_", "\\_").replace("**", "\\^{}") + "}"
    return d.title


def check_line(d: Derivation, fmt: str = "text", lang: str = "en") -> str:
    L, s, num = LABELS[lang], _style(fmt), F.number
    m = _math if fmt == "latex" else str
    if d.agrees():
        items = m(", ".join(f"{s.partial(s.name(d.output), s.name(x))[0]} = {num(d.adjoints[x])}" for x in d.inputs))
        return L["check_ok"].format(items=items)
    items = "; ".join(
        f"{m(s.name(x))}: {L['forward']} {num(d.tangents[x][d.output])}, {L['reverse']} {num(d.adjoints[x])}, "
        f"backward() {num(d.backward.get(x, 0.0))}"
        for x in d.inputs
    )
    return L["check_bad"].format(items=items)


def width(text: str) -> int:
    """Columns a terminal gives ``text``: combining marks take none, wide characters two."""
    w = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return w


def _pad(text: str, n: int) -> str:
    return text + " " * (n - width(text))


def render(d: Derivation, fmt: str = "text", lang: str = "en") -> str:
    """The whole explanation in ``fmt``: text, markdown, latex or html."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    title, secs, check = sections(d, fmt, lang)
    return {"text": _text, "markdown": _markdown, "latex": _latex, "html": _html}[fmt](title, secs, check)


def _text(title: str, secs: list[Section], check: str) -> str:
    out = [title, ""]
    for sec in secs:
        out.append(sec.title)
        w_lhs = max(width(r.lhs) for r in sec.rows)
        w_rhs = max(width(r.rhs) for r in sec.rows)
        for r in sec.rows:
            if r.rhs:
                out.append(f"  {_pad(r.lhs, w_lhs)} = {_pad(r.rhs, w_rhs)} = {r.value}")
            else:
                out.append(f"  {_pad(r.lhs, w_lhs)} = {_pad(r.value, w_rhs)}   ({r.note})")
        if sec.footer:
            out.append(f"  → {sec.footer}")
        out.append("")
    out.append(check)
    return "\n".join(out) + "\n"


def _md_cell(text: str) -> str:
    return f"`{text}`" if text else ""


def _markdown(title: str, secs: list[Section], check: str) -> str:
    out = [f"**{title}**", ""]
    for sec in secs:
        out += [f"#### {sec.title}", "", "| " + " | ".join(sec.columns) + " |", "|---|---|---:|"]
        for r in sec.rows:
            rhs = _md_cell(r.rhs) if r.rhs else r.note
            out.append(f"| {_md_cell(r.lhs)} | {rhs} | {r.value} |")
        if sec.footer:
            out += ["", f"→ `{sec.footer}`"]
        out.append("")
    out.append(check)
    return "\n".join(out) + "\n"


def _latex(title: str, secs: list[Section], check: str) -> str:
    out = [f"\\noindent {title}", ""]
    for sec in secs:
        out += [f"\\paragraph{{{sec.title}}}", "\\begin{align*}"]
        lines = []
        for r in sec.rows:
            if r.rhs:
                lines.append(f"  {r.lhs} &= {r.rhs} = {r.value}")
            else:
                lines.append(f"  {r.lhs} &= {r.value} && \\text{{({r.note})}}")
        out.append(" \\\\\n".join(lines))
        out.append("\\end{align*}")
        if sec.footer:
            out.append(f"$\\Rightarrow$ {sec.footer}")
        out.append("")
    out.append(check)
    return "\n".join(out) + "\n"


def _html(title: str, secs: list[Section], check: str) -> str:
    e = html.escape
    out = ['<div class="bibun-explain">', f"<p><strong>{e(title)}</strong></p>"]
    for sec in secs:
        out.append(f"<h4>{e(sec.title)}</h4>")
        out.append("<table>")
        out.append("<tr>" + "".join(f"<th>{e(c)}</th>" for c in sec.columns) + "</tr>")
        for r in sec.rows:
            rhs = f"<code>{e(r.rhs)}</code>" if r.rhs else f"<em>{e(r.note)}</em>"
            out.append(
                f'<tr><td><code>{e(r.lhs)}</code></td><td>{rhs}</td><td style="text-align:right">{e(r.value)}</td></tr>'
            )
        out.append("</table>")
        if sec.footer:
            out.append(f"<p>→ <code>{e(sec.footer)}</code></p>")
    out.append(f"<p>{e(check)}</p>")
    out.append("</div>")
    return "\n".join(out) + "\n"

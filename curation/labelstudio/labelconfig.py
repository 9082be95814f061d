"""The Label Studio labelling config (XML), generated from the configured label set."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

from curation.labelstudio.errors import LabelStudioError

PAGE_CONTROL = re.compile(r"^label_(\d+)$")  # page layout: one Choices per segment index
SEGMENT_CONTROL = "label"  # segment layout: one Choices per task
PARAGRAPH_CONTROL, PARAGRAPH_OBJECT = "seg_label", "page"  # paragraphs layout: labelled spans
LINES_CONTROL, LINES_OBJECT = "seg_label", "page"  # hypertext layout: labelled runs of lines
LAYOUTS = ("hypertext", "paragraphs", "page", "segment")
_LABEL_OK = re.compile(r"^[\w.-]+$")

# Colours tell the label groups apart at a glance; content green, boilerplate warm, other grey.
_STYLE = {
    "article": "#2e7d32", "caption": "#558b2f", "ad": "#c62828", "comment_ui": "#6a1b9a",
    "joke": "#ef6c00", "teaser": "#1565c0", "other": "#616161",
}

# a user's own labels (a mapped label set, `labels: {main: [...], ...}`) take these in order
_PALETTE = ("#2e7d32", "#c62828", "#1565c0", "#ef6c00", "#6a1b9a", "#558b2f", "#616161")


def label_colour(lab: str, labels: list[str]) -> str:
    """A label's colour on every screen (hypertext: the border of a line with that pre-label)."""
    return _STYLE.get(lab) or _PALETTE[labels.index(lab) % len(_PALETTE)]


def _choices(labels: list[str], name: str, to_name: str) -> str:
    opts = "".join(
        f'<Choice value={quoteattr(lab)} style="color:{label_colour(lab, labels)}"/>'
        for lab in labels
    )
    return (f'<Choices name="{name}" toName="{to_name}" choice="single-radio" required="true" '
            f'showInline="true">{opts}</Choices>')


def page_config(labels: list[str]) -> str:
    """One task per page: every segment in order, each with one required single choice."""
    _check_labels(labels)
    return (
        '<View>\n'
        '  <Header value="$url" size="5"/>\n'
        '  <Repeater on="$segments" indexFlag="{{idx}}">\n'
        '    <View style="border-bottom:1px solid #ddd;padding:6px 0">\n'
        '      <Text name="seg_{{idx}}" value="$segments[{{idx}}].text"/>\n'
        f'      {_choices(labels, "label_{{idx}}", "seg_{{idx}}")}\n'
        '    </View>\n'
        '  </Repeater>\n'
        '</View>\n'
    )


# One line per segment: Label Studio draws each paragraph as a tall card with a (here
# meaningless) time range; 300 of them would be ~22,000 px. Its class names carry a build hash
# after "--", hence the prefix selectors.
_COMPACT_LINES = (
    '[class*="time--"] { display: none; } '
    '[class*="phrase--"] { padding: 1px 8px !important; margin: 0 !important; '
    'min-height: 0 !important; } '
    '[class*="phraseContainer--"] { margin: 0 0 2px 0 !important; } '
    '[class*="titleWrapper--"] { font-size: 11px; line-height: 14px; }'
)


def _label_options(labels: list[str]) -> str:
    """The <Label> options of a line screen, each in its colour, hotkeys 1..9 in label order."""
    return "".join(
        f'<Label value={quoteattr(lab)} background="{label_colour(lab, labels)}"'
        + (f' hotkey="{i + 1}"' if i < 9 else "") + "/>"
        for i, lab in enumerate(labels)
    )


def paragraphs_config(labels: list[str]) -> str:
    """One task per page as labelled paragraphs: each segment is a line headed by where it sits
    (tag, link share, image above, how sure the pre-label is); pre-labels are coloured regions
    with their own score. Drag over a run of lines and press a label's hotkey: one region, one
    label for the whole run. Label hotkeys are 1..9 in label order."""
    _check_labels(labels)
    opts = _label_options(labels)
    return (
        '<View>\n'
        f'  <Style>{_COMPACT_LINES}</Style>\n'
        '  <Header value="$url" size="5"/>\n'
        '  <View style="position:sticky;top:0;z-index:10;background:#fff;padding:4px 0">\n'
        f'    <ParagraphLabels name="{PARAGRAPH_CONTROL}" toName="{PARAGRAPH_OBJECT}" '
        f'showInline="true">{opts}</ParagraphLabels>\n'
        '  </View>\n'
        f'  <Paragraphs name="{PARAGRAPH_OBJECT}" value="$segments" nameKey="where" '
        'textKey="text" layout="dialogue"/>\n'
        '</View>\n'
    )


# The hypertext screen: each line's heading (number, tag, link share, pre-label and score) is
# drawn from its data-line attribute, so it is never part of the text a selection covers.
_LINES_STYLE = (
    '[data-line] { margin: 0 0 1px 0; padding: 0 6px 0 250px; text-indent: -244px; '
    'line-height: 18px; border-left: 5px solid #bbb; } '
    '[data-line]::before { content: attr(data-line); display: inline-block; width: 244px; '
    'text-indent: 0; font-size: 10px; color: #888; user-select: none; } '
    '[data-unsure]::before { color: #b26a00; font-weight: bold; } '
    '[data-unsure] { background: #fff8e1; } '
    '[data-links] { color: #777; } '
    '[data-heading] { font-weight: bold; font-size: 15px; } '
    '[data-image] { border-top: 2px dashed #999; padding-top: 2px; }'
)


def hypertext_config(labels: list[str]) -> str:
    """One task per page as one HTML document, a line per segment: Label Studio's HyperText
    draws 300 plain lines about as fast as one (its Paragraphs tag costs ~1.3 s per 100).
    Each line is bordered in its pre-label's colour and headed by where it sits and how sure
    the pre-label is; select a run of lines (granularity snaps to whole lines) with a label's
    hotkey pressed first: one region, one label for the run. Hotkeys are 1..9 in label order."""
    _check_labels(labels)
    opts = _label_options(labels)
    return (
        '<View>\n'
        f'  <Style>{_LINES_STYLE}</Style>\n'
        '  <Header value="$url" size="5"/>\n'
        '  <View style="position:sticky;top:0;z-index:10;background:#fff;padding:4px 0">\n'
        f'    <HyperTextLabels name="{LINES_CONTROL}" toName="{LINES_OBJECT}" '
        f'showInline="true">{opts}</HyperTextLabels>\n'
        '  </View>\n'
        f'  <HyperText name="{LINES_OBJECT}" value="$html" inline="true" '
        'granularity="paragraph"/>\n'
        '</View>\n'
    )


def segment_config(labels: list[str]) -> str:
    """One task per segment, shown between its neighbours for context."""
    _check_labels(labels)
    return (
        '<View>\n'
        '  <Header value="$url" size="5"/>\n'
        '  <Text name="prev" value="$prev_text" granularity="word" style="color:#888"/>\n'
        '  <View style="border:2px solid #1565c0;padding:6px;margin:4px 0">\n'
        '    <Text name="text" value="$text"/>\n'
        '  </View>\n'
        '  <Text name="next" value="$next_text" granularity="word" style="color:#888"/>\n'
        f'  {_choices(labels, SEGMENT_CONTROL, "text")}\n'
        '</View>\n'
    )


def label_config(labels: list[str], layout: str) -> str:
    """The config XML for *layout* (one of LAYOUTS), validated before it is returned."""
    if layout == "hypertext":
        xml = hypertext_config(labels)
    elif layout == "paragraphs":
        xml = paragraphs_config(labels)
    elif layout == "page":
        xml = page_config(labels)
    elif layout == "segment":
        xml = segment_config(labels)
    else:
        raise LabelStudioError(f"unknown Label Studio layout {layout!r}; use one of "
                               f"{', '.join(LAYOUTS)}")
    validate_config(xml, labels, layout)
    return xml


def _check_labels(labels: list[str]) -> None:
    bad = [lab for lab in labels if not _LABEL_OK.match(lab)]
    if bad or not labels:
        raise LabelStudioError(
            f"labels {bad or labels} cannot be Label Studio choices: use letters, digits, _ . -"
        )


def config_labels(xml: str) -> tuple[str, list[str]]:
    """(layout, labels) of a config made by this module; LabelStudioError for a foreign one."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise LabelStudioError(f"the labelling config is not valid XML: {exc}") from None
    line_labels = root.findall(".//HyperTextLabels")
    if line_labels:
        ht, doc = line_labels[0], root.findall(".//HyperText")
        if (len(line_labels) != 1 or len(doc) != 1 or ht.get("name") != LINES_CONTROL
                or ht.get("toName") != LINES_OBJECT or doc[0].get("name") != LINES_OBJECT
                or doc[0].get("value") != "$html"):
            raise LabelStudioError("the labelling config is not one made by curation "
                                   "(unknown HyperTextLabels/HyperText)")
        return "hypertext", [c.get("value", "") for c in ht.findall("Label")]
    paragraph_labels = root.findall(".//ParagraphLabels")
    if paragraph_labels:
        pl, para = paragraph_labels[0], root.findall(".//Paragraphs")
        if (len(paragraph_labels) != 1 or len(para) != 1 or pl.get("name") != PARAGRAPH_CONTROL
                or pl.get("toName") != PARAGRAPH_OBJECT
                or para[0].get("name") != PARAGRAPH_OBJECT
                or para[0].get("value") != "$segments"):
            raise LabelStudioError("the labelling config is not one made by curation "
                                   "(unknown ParagraphLabels/Paragraphs)")
        return "paragraphs", [c.get("value", "") for c in pl.findall("Label")]
    repeater = root.find(".//Repeater")
    choices = root.findall(".//Choices")
    if len(choices) != 1:
        raise LabelStudioError("the labelling config is not one made by curation "
                               "(it needs exactly one Choices)")
    ch = choices[0]
    labels = [c.get("value", "") for c in ch.findall("Choice")]
    if repeater is not None and ch.get("name") == "label_{{idx}}":
        if repeater.get("on") != "$segments" or ch.get("toName") != "seg_{{idx}}":
            raise LabelStudioError("the labelling config's Repeater does not iterate $segments")
        return "page", labels
    if repeater is None and ch.get("name") == SEGMENT_CONTROL and ch.get("toName") == "text":
        return "segment", labels
    raise LabelStudioError("the labelling config is not one made by curation (unknown controls)")


def validate_config(xml: str, labels: list[str], layout: str) -> None:
    """Raise LabelStudioError unless *xml* is a *layout* config for exactly *labels*."""
    found_layout, found = config_labels(xml)
    if found_layout != layout or found != list(labels):
        raise LabelStudioError(
            f"labelling config is for layout {found_layout!r} with labels {found}, "
            f"expected layout {layout!r} with labels {list(labels)}"
        )
    if layout == "segment":
        # LabelInterface understands the segment layout fully (it does not expand Repeater).
        from label_studio_sdk.label_interface.interface import LabelInterface

        probe = {"result": [{"from_name": SEGMENT_CONTROL, "to_name": "text", "type": "choices",
                             "value": {"choices": [labels[0]]}}]}
        errors = LabelInterface(xml).validate_prediction(  # type: ignore[no-untyped-call]
            probe, return_errors=True)  # (the SDK leaves this method unannotated)
        if errors:
            raise LabelStudioError(f"generated segment config fails validation: {errors}")


def same_config(a: str, b: str) -> bool:
    """True when two configs label the same way: same layout, same labels in the same order.
    Looks (colours, hotkeys, styles) may be changed in the UI without blocking push or pull."""
    try:
        return config_labels(a) == config_labels(b)
    except LabelStudioError:
        return False

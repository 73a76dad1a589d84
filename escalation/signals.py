"""Detect a customer's request for a human in free text.

A request is read as a small grammar of concept classes (DESIGN.md §1):

* the **addressee**: a person ("a real person", "someone else"), a role ("an agent", "your
  supervisor"), a department or team ("customer care", "your billing team"), or a contact
  **channel** ("a call back", "your phone number", "live chat");
* the **act**: talk, reach, contact, call, connect, transfer, escalate, have someone look at it;
* the **frame**: an imperative or request, a want/need/prefer/rather, a question of how, where,
  who or whether, a terse line ("agent pls"), consent to an offered transfer ("ok transfer me");
* the **vetoes**: negation, someone else's person ("my manager"), past reports ("I already spoke
  to a rep"), name introductions ("my friends call me Sam"), other senses ("talk me through").

**explicit** = an act or frame applied to an addressee that no veto touches. **implicit** = doubt
about or disparagement of the bot, its answers or the chat (a script, canned replies, circles, no
one reading), or a hint at a person without asking ("can someone help me with this?"). Anger at
the shop, caps and swearing are never part of the grammar. Lines quoted with "> " and words inside
double quotes are someone else's and are skipped.

Words are normalised first (escalation.spelling: chat spellings, contractions, typos through
rapidfuzz, joined words through wordsegment), keeping each word's span of the input so that the
evidence is always a span of the original text.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Literal

from lemminflect import getAllInflections

from escalation.identifiers import EMAIL_ADDRESS
from escalation.spelling import Lexicon, tokens
from escalation.spelling import words as _words

HumanRequestKind = Literal["explicit", "implicit", "none"]


@dataclass(frozen=True, slots=True)
class HumanRequest:
    """What a message says about wanting a person: the kind and the span that decided it."""

    kind: HumanRequestKind
    evidence: str | None = None


NONE: Final = HumanRequest("none")


def _alt(words: str) -> str:
    # a regex alternation of space-separated words; "_" stands for a space inside one
    items = sorted((w.replace("_", " ") for w in words.split()), key=len, reverse=True)
    return "(?:" + "|".join(items) + r")\b"


# -- The lexicon: concept classes as data --------------------------------------------------------

_PERSON_WORDS = "human humans person persons people individual being bod bods hooman hoomans"
_ROLE_WORDS = (
    "agent agents representative representatives rep reps operator operators supervisor supervisors"
    " manager managers advisor advisors adviser advisers specialist specialists staff employee"
    " employees colleague colleagues associate associates consultant consultants executive"
    " executives officer officers expert experts technician technicians personnel teammate"
    " attendant assistant assistants boss bosses superior superiors owner ceo team_leader team_lead"
    " higher_up higher_ups person_in_charge someone_in_charge management higher_authority senior"
    " senior_staff seniors staff_member staff_members team_member team_members worker workers"
    " engineer engineers adult adults grown_up grown_ups"
)
_SOMEONE_WORDS = "someone somebody anyone anybody some_one some_body any_one any_body whoever"
_QUAL_WORDS = (
    "bloody damn damned fucking goddamn freaking effing frigging sodding"  # swearing is skipped
    " responsible competent knowledgeable experienced appropriate right relevant genuine living"
    " breathing friendly real live actual human physical proper qualified senior trained different"
    " other higher concerned designated next available first chat dedicated authorised authorized"
    " more_senior flesh_and_blood customer client service services care support billing technical"
    " tech bank store shop company account helpdesk help_desk it fraud claims returns"
)
_DEPT_WORDS = (
    "customer_service customer_services customer_care customer_support client_service"
    " client_services customer_relations customer_success tech_support technical_support"
    " consumer_care consumer_service consumer_services client_care client_support help_desk"
    " help_line call_centre call_center contact_centre contact_center service_desk support_team"
    " support_staff support_desk support_centre support_center support_line"
)
_UNIT_WORDS = (
    "billing accounts returns claims complaints fraud refunds collections sales reservations"
    " bookings payments disputes"
)
_BOT_WORDS = (
    "bot bots robot robots machine ai computer program script automated automation algorithm"
    " autoresponder auto_reply auto_replies autoreply autoreplies virtual_assistant chat_bot"
    " recording recorded_message chatgpt gpt"
    " llm language_model"
)
_TALK_WORDS = (
    "talk talking speak speaking chat chatting converse communicate discuss discussing deal dealing"
    " explain"
    " go_through go_over"
)
_REACH_WORDS = (
    "reach reaching contact contacting call calling phone phoning ring dial email message dm pm"
    " get_in_touch_with get_in_contact_with get_hold_of get_through_to get_ahold_of"
)
_PASS_WORDS = (
    "connect connecting transfer transferring forward redirect route escalate pass hand put patch"
    " switch refer direct move take hand_off handoff get go kick bump putting passing handing"
    " forwarding escalating switching referring getting link loop flick chuck send shunt endorse"
)
_PASSIVE_WORDS = (
    "transferred connected put_through put_in_touch passed handed handed_over escalated redirected"
    " forwarded routed switched referred linked looped"
)
# "a quick word with", "a conversation with": the talk as a noun
_TALK_NOUN = (
    r"(?:an? |this |the )?(?:quick |brief |short |proper |real )?(?:word|words|conversation"
    r"|discussion|appointment|meeting|consultation|call|chat|natter|chinwag|yarn)"
)
_GOOD = "nice great good better preferred preferable appreciated helpful ideal best"
_FOREIGN_TALK = (
    r"(?:hablar|baat|parler|falar|sprechen|makausap|kausapin|connect karo|connect kar do"
    r"|transfer karo|pásame con|pasame con|me pasas con|me pasa con|me pase con|pasarme con"
    r"|pass con|passes con"  # "¿me pasas con ...?" as the spelling reads it
    r"|comunicarme con|me comunicas con|parlare|spreken|me rappeler|rappeler|verbinden|me llame"
    r"|llamarme|llamar|falar com|me ligar|ligar|rozmawiać|rozmawiac|porozmawiać|konuşmak"
    r"|görüşmek)\b"
)
_FOREIGN_PERSON = (
    r"(?:agent|agente|human|humano|humana|persona|real person|conseiller|atendente|mitarbeiter"
    r"|mitarbeiterin|operador|asesor|insaan|operatore|iemand|klantenservice|medewerker|persoon"
    r"|quelqu'un|quelqu un|quelquun|menschen|mensch|alguien|pessoa|alguém|alguem|człowiekiem"
    r"|konsultantem"
    r"|temsilci)\b"
)
_TALK = _alt(_TALK_WORDS)
_REACH, _PASS = _alt(_REACH_WORDS), _alt(_PASS_WORDS)
_ACT_WORDS: Final = _words(" ".join((_TALK_WORDS, _REACH_WORDS, _PASS_WORDS)))
_ASK_PHRASES = (
    "want need would_like would_love prefer rather request requesting require demand ask_for"
    " asking_for looking_for waiting_for get_me to_get please_get just_get can_i_get could_i_get"
    " may_i_get can_you_get could_you_get give_me find_me bring_me send_me can_i_have request_for"
    " fetch_me grab_me"
    " provide could_i_have may_i_have can_we_have let_me_have can_i_see arrange schedule book"
    " set_up chance_of chance_of_getting mind_getting possible_to_get possibility_of_getting"
    " way_to_get"
)
# a plea or an adverb may sit inside the frame: "can I pls have a person", "I'd still like one"
_INSIDE_ASK = (
    "please pls kindly just still really much also actually honestly definitely truly literally"
)
_ASK = _alt(_ASK_PHRASES).replace(" ", rf" (?:{_alt(_INSIDE_ASK)} )?")
_ASK_WORDS: Final = frozenset(w.split("_")[0] for w in _ASK_PHRASES.split())


def _verb_forms(phrases: str) -> str:
    """Each phrase with its verb in every form: "look_at" -> look_at looks_at looked_at ..."""
    forms: set[str] = set()
    for phrase in phrases.split():
        verb, _, rest = phrase.partition("_")
        inflected = getAllInflections(verb, upos="VERB").values()
        for form in {verb, *(f for group in inflected for f in group)}:
            forms.add(f"{form}_{rest}" if rest else form)
    return " ".join(sorted(forms))


# someone asked to act on the case, in any tense: "I'd rather someone real looks at it"
_HANDLE = _alt(
    _verb_forms(
        "have_a_look take_a_look have_a_quick_look take_a_quick_look look_at look_into look_over"
        " go_over look_through step_in check handle deal_with review take_over sort_out"
        " investigate examine get_back_to_me reach_out take_care_of sort fix do"
        " take_it_from_here take_this_from_here look_this_over look_it_over check_this_over"
        " go_over_this"
    )
    # "if a human double-checked it", "can someone look?"
    + " double_check double_checks double_checked double_checking"
)
_HELP_WORDS: Final = _words(
    "help assist explain advise guide answer tell show fix solve let find figure"
)
_HELPISH = _alt(" ".join(_HELP_WORDS))
_BAD = _alt(
    "useless stupid dumb pointless hopeless rubbish garbage terrible awful crap shit clueless"
    " worthless incompetent suck sucks bad worst annoying idiotic idiot ridiculous broken a_joke"
    " a_waste no_help not_helping not_helpful unhelpful not_listening not_understanding no_good"
    " not_getting_it not_smart not_good lame trash junk pathetic driving_me_mad driving_me_insane"
    " driving_me_crazy make_no_sense makes_no_sense make_zero_sense irrelevant not_relevant"
    " off_topic a_template failing_me out_of_your_depth out_of_its_depth worse_than"
)
# Words after a person noun that turn it into a modifier of something else ("agent code").
_MODIFIED = _alt(
    "code id fee fees portal app login account sample name approval signature permission program"
    " software job role position title level license licence mode tool version access number error"
    " resources rights nature"
)
# What may follow "call me" in a callback; any other word makes it a name ("call me Sam").
_AFTER_CALL_ME = _words(
    "back asap now please pls today tomorrow tonight later when whenever at on as soon urgently to"
    " about regarding if immediately right again instead because so and or then thanks thank"
    " directly first in this by via"
)

_DET = _alt("a an the some any your another one one_of_your one_of_the to_a someone_from")
_QUAL = _alt(_QUAL_WORDS)
_SOMEONE = _alt(_SOMEONE_WORDS)
_NOUN = _alt(_PERSON_WORDS + " " + _ROLE_WORDS)
_POST = (
    r"(?: (?:of yours|from (?:your |the )?\w+(?: team| department)?|(?:in|at) (?:your |the )?\w+(?:"
    r" branch| store| office)?|of (?:the |your )?(?!(?:my|our|his|her|their)\b)\w+))?"
)
_HEAD = rf"(?!'s)(?! {_MODIFIED}\b)(?! 's)"
_TARGET = (
    rf"(?:(?:{_DET} (?:(?!(?:in|on|at|of|for|with|or|and|to) )\w+ ){{0,2}}?)?(?:{_QUAL}"
    rf" (?:, )?){{0,3}}(?:{_NOUN}|{_alt(_DEPT_WORDS)}){_HEAD}{_POST}|"
    rf"{_SOMEONE}(?: else| real| human|"
    r" (?:from|in|at|on) (?:your |the )?\w+(?: \w+)?(?= team| department)(?: team| department)?|"
    rf" (?:from|in|at|on) (?:your |the )?(?:{_alt(_DEPT_WORDS)}|\w+)| is in charge| in charge)?"
    rf"{_HEAD}"
    rf"|(?:{_DET} )?(?!(?:my|our|his|her|their) )(?:\w+ )?(?:department|dept|team)s?{_HEAD}|(?:an? "
    rf"|one )?(?:{_QUAL} )*members? of (?:your |the )?(?:\w+ ){{0,2}}(?:staff|team)|(?:{_DET}"
    rf" )?(?:real|live|actual|human) (?:one|man|woman|guy|lady)s?{_HEAD}|(?:one of )?"
    r"(?:your|una|yer)"
    r" (?:people"
    r"|staff|team|office|company|business|lot)"
    # "anyone with a heartbeat", "one of the okes in your support team"
    rf"|{_SOMEONE} with an? (?:pulse|heartbeat|brain)|one of the \w+ (?:in|from|at|on) (?:your|the)"
    r" (?:\w+ )?(?:team|department|staff|office)"
    # a role by what it heads: "your head of customer service", "the director of sales"
    r"|(?:the |your |a )?(?:head|director|chief|leader|lead|vp) of (?:the |your )?(?:\w+ ){0,2}?"
    rf"(?:{_alt(_DEPT_WORDS)}|department|team|support|service|services|sales|complaints|operations)"
    # the one who helped before: "the same agent I had yesterday", "the same lady"
    rf"|the same (?:{_NOUN}|lady|guy|man|woman|one|advisor)s?{_HEAD}"
    # someone of the shop, described: "a lady or gentleman from the shop"
    r"|(?:an? )?(?:lady|gentleman|man|woman|guy|girl|chap|bloke)(?: or (?:an? )?(?:lady|gentleman"
    r"|man|woman|guy|girl))? (?:from|at|in|of) (?:the|your) (?:shop|store|company|team|office"
    r"|business|firm))"
)
# Whom a contact act can be aimed at besides a person: support, "you" as the company.
_TALKABLE = (
    rf"(?:{_TARGET}|(?:the |your )?(?:support|{_alt(_UNIT_WORDS)})\b|you guys|one of them\b|one of"
    r" your \w+s\b|one\b|them\b)"
)
_CONTACTABLE = rf"(?:{_TALKABLE}|you\b)"
_CHANNEL = (
    rf"(?:(?:a |an |the |your )(?:(?:phone|quick|live|video|{_NOUN}) )?(?:call back|call|phone call"
    rf"|ring)|(?:phone |video |{_NOUN} )?call back|(?:phone )?call(?= from)|(?:a |the |your )?live"
    r" (?:chat|support|help|assistance|person)|(?:a |the |your )?help line|(?:support|phone|video)"
    r" calls?)\b"
)
# The company's contact channel: an owner (a team, "your", "support"; implied for "contact
# details", "contacts") and a channel noun, or a number or address for a purpose or a team.
_NUMBER = (
    rf"(?:(?:{_alt(_DEPT_WORDS)}|{_alt(_UNIT_WORDS)}|dept|department|team|support|help|contact"
    r"|phone|toll free|direct|mobile|office|your|ur"
    r"|company|official|general|main|whatsapp|emergency|customer|landline|text|sms) )+(?:number"
    r"|numbers|no|line|e ?mail(?: address| id)?)\b|number (?:to|i can|we can|for|of) (?:call|ring"
    r"|phone|dial|reach|contact|talk|speak|try|\w+ing)\b|number (?:i|we) (?:could|might|should)"
    r" (?:call|ring|phone|dial|try)\b|(?:number|no|e ?mail(?: address)?|contact"
    rf"|(?:postal )?address(?= \w+ (?:\S+ ){{0,3}}{_alt(_UNIT_WORDS)})) (?:for|of) (?:\S+"
    rf" ){{0,3}}(?:{_alt(_DEPT_WORDS)}|{_alt(_UNIT_WORDS)}|support|help line|team|department|office"
    rf"|headquarters|company|store|branch|you\b|{_SOMEONE}|(?<!number ){_NOUN})|what number (?:do"
    r"|can|should) (?:i|we) (?:call|ring|dial)|(?:(?:your|ur|the|a|company|official|support"
    r"|general) )*(?:contact (?:details?|info|information|options?|page|form|link|methods?"
    r"|channels?|us|email|person|points?)|contacts)\b|(?:your|ur|company|official|support|general"
    r"|customer|office) contact(?= [.,;:!?]|$)"
)
_END = r"(?= (?:please|now|then|asap|immediately|right now|for me|thanks|thank you)\b| [.,;:!?]|$)"
_FILLER = _alt(
    "hi hello hey please now asap right just ok okay yes yeah urgent urgently thanks thank you"
    " again the a an sir madam dear pls i said want need get me sure fine sorry look well omg lol"
    " only quick real_quick here over_here on_here in_here"
)

# The customer's matter, for a person to look at ("check my order") or to be passed on.
_CONV = (
    r"(?:call|chat|case|issue|ticket|query|complaint|conversation|request|problem|matter|claim"
    r"|concern)\b"
)
_OBJECT = (
    r"(?: (?:to |at )?(?:it|this|that|these|me|us|(?:(?:my|the|this|our) )?(?:\w+ )?(?:order|case"
    r"|account|issue|problem|complaint|query|claim|ticket|request|refund|parcel|delivery|invoice"
    r"|booking|item|situation|matter|return|application|chat|conversation|thread|photo|picture"
    r"|image|document|evidence|damage)s?)\b|(?= [.,;:!?]"
    r"|$| (?:please|for me|instead|now|asap|again|personally|from here)\b))"
)
_MATTER: Final = re.compile(
    rf"(?:to |who (?:can|could|will) )?(?:{_HANDLE}{_OBJECT}|talk|speak|chat|{_REACH} (?:me|us"
    r"|back))"
)

# -- The grammar ---------------------------------------------------------------------------------

_C = re.compile  # every pattern starts at a word: the normalised line begins with a space

# Explicit: act or frame + addressee. The named group "t" is the addressee when there is one.
_EXPLICIT: Final = (
    _C(
        rf" {_TALK}(?: (?:this|it|that|things|all (?:of )?this|(?:my|this|the|our|a|an) (?:\w+"
        r" )?\w+))?(?: through| over)?(?: directly| personally| now| live)?(?: to| with)?"
        rf" (?P<t>{_TALKABLE}"
        r"|(?:the|your) (?:\w+ )?[a-z]{3,}(?:ist|ician)s?\b)"  # a job: "the pharmacist"
    ),
    # a person named as the one to talk to: "can I speak to Priya", "I'd like to talk to Tom"
    _C(
        rf" (?:{_ASK}|let me|can i|could i|may i) (?:to )?{_TALK} (?:to|with) (?!(?:you|yourself|it"
        r"|this|that|them|him|her|me|us|myself|mom|mum|dad|friends|family|kids|children|others"
        r"|people|players|everyone)\b)[a-z]+(?= please| again| from| in| at| [.,;:!?]|$)"
    ),
    _C(
        r" get in (?:touch|contact)(?= with (?:you|someone|somebody)| please| [.,;:!?]|$)|"
        rf" (?:{_REACH}(?: out to)?|contact with|contact to|(?:find|look up|follow)(?= (?:you|your"
        rf" \w+(?: \w+)?) (?:on|through|via)\b)) (?P<t>{_CONTACTABLE})"
    ),
    _C(
        rf" (?:{_PASS}(?: (?:me|us|this|it|(?:my|the|this) {_CONV}|my (?:contact )?"
        r"(?:details|number"
        r"|info|information)))?|(?:be|get|getting|being|this"
        rf"|it|me|us) {_alt(_PASSIVE_WORDS)})(?: over| back| on| up| off| across| in touch| in"
        rf" contact| in)?(?: through)? (?:to|with|on|onto)(?: me| us)? (?P<t>{_CONTACTABLE})"
    ),
    _C(rf" (?:connect|transfer|route|redirect|switch|escalate)(?: me| us)? (?P<t>{_TARGET})"),
    _C(
        r" (?:(?:do|sort|discuss|handle|go through) (?:this|it|that)(?: out)?|talk|speak|chat)"
        r" (?:over|by|on) (?:the )?(?:phone|call)\b"
    ),
    # live chat asked for or asked about: "can I use the live chat", "is live chat open"
    _C(
        r" (?:use|try|switch to|move to|start|open|join|access|get|want|need|is there|where is|how"
        r" do i|can i|to|please) (?:a |an |the |your )?live (?:chat|agent|support|person)\b| live"
        r" (?:chat|agent|support) (?:is )?(?:available|open|please|now)\b"
    ),
    # the customer's case to be passed on: "I'd like this escalated"
    _C(
        r" (?:want|need|would like|like|get|have) (?:this|it|my (?:case|complaint|issue|ticket"
        r"|query))? (?:escalated|transferred|passed on|handed over)\b"
    ),
    # a question kept for a person: "I have a question for a real person", "can I ask a human"
    _C(
        rf" (?:questions?|query|queries) for (?P<t>{_TARGET})| (?:want to|need to|can i|could i|may"
        rf" i|let me|like to) ask (?:{_TARGET})"
    ),
    _C(
        rf" (?:(?:transfer|connect|escalate|forward) (?:me|us|this|it|(?:(?:my|the|this) )?{_CONV})"
        r"|(?:put|patch) (?:me|us) through|(?:hand|pass) (?:me|us|this|it) (?:over|on|off)"
        rf"|escalate)(?: over| across| through)?(?: to (?:someone|somebody))?{_END}| (?:yes|y|ok"
        r"|okay|sure|yeah|yep|go ahead and)(?: [;,:])?(?: please)? (?:(?:transfer|connect"
        rf"|escalate)(?: me)?{_END}|to (?:the |a )?(?:{_TARGET}|{_CHANNEL}) (?:option|offer)\b)"
        rf"|^(?: {_FILLER})* (?:transfer|connect)(?: me| us)?{_END}| (?:be|get|getting)"
        rf" (?:transferred|connected|put through|escalated){_END}|(?<! my)(?<! to) (?:please"
        rf" )?(?:dm|pm|inbox)(?: me)?{_END}"
    ),
    # a person or channel welcomed: "a human would be nice", "a call back would be great"
    _WELCOMED := _C(
        rf" (?P<t>{_TARGET}|{_CHANNEL}) (?:would be(?: much| a lot)? {_alt(_GOOD)}|is (?:much |a"
        r" lot |far )?(?:better|preferred|preferable))\b"
    ),
    _C(
        rf" {_ASK}(?: for)?(?: to (?:have|get|see))?(?: me| us)?(?: {_TALK_NOUN} with)?"
        rf" (?P<t>{_CHANNEL}|{_TARGET})"
    ),
    _C(
        rf" {_ASK}(?: some| human| personal| real)? (?:help|assistance|support) from"
        rf" (?P<t>{_TARGET})"
    ),
    _C(
        rf" (?:{_ASK} )?(?:human|personal|live|real) (?:help|assistance|support|contact|handoff"
        r"|hand off|handover|transfer|escalation|interaction|response|reply|answer|review)\b"
    ),
    _C(
        rf" (?:appreciate|welcome) {_CHANNEL}| would (?:appreciate|welcome|value) {_TARGET}| (?:be"
        r"|get|being|it|this|case|ticket|issue|complaint|claim) (?:contacted|called|rung|phoned"
        rf"|helped|served|assisted|handled|dealt with|looked at|reviewed) by (?P<t>{_TARGET})"
    ),
    _C(
        rf" whom? (?:do|can|should|could|would|shall|will|may|must|might) (?:i|we)"
        rf" (?:(?:need|have|got|want|ought) to )?(?:{_TALK}"
        rf"|{_REACH}|ask|write to|turn to|go to|escalate|complain)\b|(?<! ,) who (?:can|could|will"
        rf"|would) (?:{_HANDLE}){_OBJECT}| whom? (?:to|is the (?:right |best )?(?:person|one) to)"
        rf" (?:{_TALK}|{_REACH}|ask)\b| who is the (?:\w+ )?(?:person|people|contact|one) (?:to|for"
        r"|i|we)\b"
    ),
    _STRANDED := _C(
        rf" (?P<t>{_TARGET})(?: (?:anywhere|somewhere|here|there|in|at|on|this|that|the|your|our"
        r"|company|business|place|shop|store|office|team|building)){0,5}?"
        r" (?:that |who |whom )?(?:i|we) (?:can|could|may|might|should)"
        rf" (?:{_TALK}|{_REACH}|ask|have {_TALK_NOUN} with)\b| (?:{_TARGET}) to {_TALK}(?: (?:to"
        r"|with)\b|(?= or\b| [?.!,]|$))"
    ),
    # getting through to the company: "how do I get thru", "where is your support"
    _C(
        r" how (?:do|can|could|would) (?:i|we|one) (?:ever )?get (?:through|a hold of|hold of)\b|"
        rf" where (?:is|are) (?:your |the )?(?:support|{_alt(_DEPT_WORDS)})(?= [?.!]|$)"
    ),
    # a person to be found: "where can I find an agent", "how do I get a real person"
    _C(
        r" (?:how|where) (?:(?:do|can|could|should|would) (?:i|we)|(?:i|we) (?:can|could))"
        r" (?:find|get|get to|access|see)"
        rf" (?P<t>{_TARGET})| (?:is|are)(?: there)? {_SOMEONE} available (?:by|on|over) (?:the"
        rf" )?(?:phone|call)\b| (?:is|are)(?: there)? {_SOMEONE} (?:available|free|around|here)"
        rf" (?:to|(?:i|we) (?:can|could)|for me to) (?:{_TALK}|{_REACH})\b"
    ),
    _C(
        r" (?:is there|are there|do you have|do you offer|where is|how (?:do|can) i (?:get|find"
        rf"|access|use|start|open|reach)) (?:a |an |any |the |your )?(?:\w+ )?(?:{_CHANNEL}"
        rf"|{_NUMBER}|e ?mail(?: address| id)?(?= (?:i|we) can| to\b| for\b| [?]| where\b|$))"
    ),
    _C(rf" (?P<number>{_NUMBER})"),
    # the same asked in the languages customers mix in: "I need hablar con un agente humano",
    # "real person se baat karni hai", "parler a un conseiller" (as the normaliser reads them)
    _C(
        rf" {_TALK} (?:to|with) (?:una?|el|la|le|une?|ein|eine|einem|uma?|a) {_FOREIGN_PERSON}|"
        rf" {_FOREIGN_TALK}(?: \S+){{0,4}}? (?:{_FOREIGN_PERSON}|{_NOUN})| {_FOREIGN_PERSON}"
        r"(?: \S+){0,5}?"
        rf" {_FOREIGN_TALK}"
    ),
    # ultimatums and routes: "either I get a real person or ...", "unless a person gets on this
    # chat", "send a real person my way", "could this go to a person", "so a human picks it up",
    # "this needs a human", "I want to do this with a staff member"
    _C(
        rf" (?:either|unless|until) (?:i|we) (?:get|see|speak to|talk to) (?P<t>{_TARGET})|"
        rf" unless (?P<t2>{_TARGET}) (?:gets?|comes?|hops?|jumps?) (?:on|in|into)\b|"
        rf" send (?P<t3>{_TARGET}) (?:my|our) way\b|"
        rf" (?:could|can|should|would|will) (?:this|it|my (?:\w+ )?{_CONV}) (?:please )?(?:go|be"
        rf" sent|be passed|be forwarded|be given) to (?P<t4>{_TARGET})|"
        rf" so (?:that )?(?P<t5>{_TARGET}) (?:can |will |could )?(?:picks? (?:it|this) up"
        r"|looks? (?:at"
        r"|into)|reviews?|handles?|deals? with|sees?|checks?|take a look)\b|"
        rf" (?:this|it|that|my (?:\w+ )?{_CONV}) (?:really |definitely |clearly |just )?needs"
        rf" (?P<t6>{_TARGET})(?= [.,;:!?]|$| please| now| asap)|"
        rf" {_ASK} (?:to )?(?:do|sort|handle|discuss|go through|deal with) (?:this|it|that)"
        r"(?: out)?"
        rf" with (?P<t7>{_TARGET})"
    ),
    # one of them asked for, once named: "are there humans working today? if so I'd like one"
    _C(rf" {_ASK} (?P<t>one|them)(?= [.,;:!?]|$| please| now| then)"),
    # staff asked to reach someone of the customer's: "could one of your staff ring my mum"
    _C(
        r" (?:can|could|would|will|please)(?: you)?(?: please)? (?P<t>"
        rf"{_TARGET}) (?:please )?(?:{_REACH}|{_TALK} (?:to|with)) (?:my|our) (?:mum|mom|mother|dad"
        r"|father|wife|husband|partner|son|daughter|gran|grandma|grandmother|grandad|grandfather"
        r"|friend|neighbour|neighbor|colleague|boss)\b"
    ),
    # told to act: "tell a human to reply to this", "get a person on this"
    _C(
        rf" tell (?P<t>{_TARGET}) to (?:reply|respond|answer|get back|call|ring|contact|reach|email"
        r"|message|look|check|help)\b"
    ),
    # a talk with me: "is someone from the team able to jump on a quick call with me"
    _C(
        rf" (?P<t>{_TARGET}) (?:able to |available to |free to |to )?(?:jump|hop|get) on"
        rf" {_TALK_NOUN} with (?:me|us)\b"
    ),
    # a person let in, or the case left for one: "let a staff member reply instead", "flag this
    # for a human agent to pick up"
    _C(
        rf" let (?P<t>{_TARGET}) (?:reply|respond|answer|take over|take this|take it|handle|deal"
        r" with|pick (?:this|it) up|step in|look at|have a look|sort)\b"
        r"| (?:flag|leave|queue|mark|pass|send|forward|put|log|note) (?:this|it|my \w+)(?: \w+)?"
        rf" for (?P<u>{_TARGET}) to (?:pick|look|review|handle|deal|check|see|read|answer|reply"
        r"|take)\b"
    ),
    # slang and odd verbs for a handover: "hook me up w/ a rep", "summon a human", "holla at
    # somebody who works there", "swap me for one of your colleagues"
    _C(
        r" (?:hook (?:me|us) up with|summon|holla at|bring in|swap (?:me|us|this) (?:over )?(?:for"
        rf"|to|with)) (?P<t>{_TARGET})"
    ),
    # a person asked to take the chat over: "any chance a living, breathing employee could take
    # over?"
    _C(
        rf" (?:any chance|could|can|would|will|please let) (?P<t>{_TARGET}) (?:could |can |would "
        r"|please )?(?:take over|step in|jump in|pick (?:this|it) up|take this on)\b"
    ),
    # back to the one who helped: "put me back through to him", "get me back to the lady who
    # helped me last week"
    _C(
        r" (?:put|get|send|take|transfer|connect|bring) me back (?:through )?(?:to|with) (?:him|her"
        r"|the (?:lady|guy|man|woman|person|agent|advisor|one) (?:who|that|from|i)\b)"
    ),
    # a call from the shop's people asked for: "phone call from your staff please"
    _C(rf" {_CHANNEL} from (?P<t>{_TARGET})"),
    # the pass elided after another act: "get me out of this bot and over to an agent"
    _C(
        rf" {_PASS} (?:me|us)\b(?: [\w']+){{1,6}}? and (?:(?:over|across|through|on) to|onto)"
        rf" (?P<t>{_CONTACTABLE})"
    ),
    _AVAILABLE := _C(
        rf" (?:is|are)(?: there)? (?:an? |any |the )?(?!{_SOMEONE})(?P<t>{_TARGET}) (?:available"
        r"|free|online|around)\b(?! (?:on|at|during|over|until|after|before|in|24|weekends?"
        r"|sundays?|saturdays?|holidays?)\b)"
    ),
    # escalation without a named person: "can this be escalated", "this needs escalating"
    _ESCALATED := _C(
        r" (?:be|get|getting|being|needs?|want|wants) (?:to be )?(?:escalated|escalating)\b| (?:an "
        r"|this |my )?escalation (?:please|now|asap)\b| (?:i am|we are) escalating\b"
    ),
    # a talk held with a person: "could I have a quick word with someone", "start a chat with"
    _C(
        r" (?:have|having|get|get on|hop on|jump on|for|request|arrange|book|start|continue|open"
        rf"|begin|move (?:this|it) to|take (?:this|it) to|switch to) {_TALK_NOUN} with"
        rf" (?P<t>{_TARGET})"
    ),
    # waiting in line for a person, or taking the transfer offered: "I'll hold for an agent"
    _C(
        r" (?:wait|hold|queue|hang on|stay on the line|in the queue|in line)(?: me| us)?"
        r"(?: as long as (?:it takes|needed|necessary|i have to))? for"
        # ("wait for sales" is waiting for a price cut, unless the sales team is named)
        r"(?!(?<=wait for) (?:the )?sales\b(?! (?:team|department|dept|reps?|people|staff|desk)\b))"
        rf" (?P<t>{_TALKABLE})| (?:take|accept|want|need) (?:the|that|a|your) (?:transfer|handover"
        r"|hand off|call back)\b"
    ),
    # raising the matter with a person: "take this up with a manager", "complain to a supervisor"
    _C(
        r" (?:raise|take|lodge|file|make|complain|escalate)(?: (?:this|it|that"
        r"|(?:an?|my|the|this)(?:"
        rf" \w+)? complaint|the matter|this matter|my case))?(?: up)?(?: directly| personally"
        rf"| formally| officially| straight)? (?:to|with) (?P<t>{_TARGET})"
    ),
    # a person brought into the conversation or the case: "put a manager on", "loop in someone
    # from sales", "assign an agent to my ticket"
    _C(
        rf" (?:assign|allocate|appoint|add|put|get|bring|pull|loop|rope) (?P<t>{_TARGET}) (?:(?:to"
        r"|onto|on|in|into) (?:my|this|the|our) (?:\w+ )?(?:case|ticket|chat|conversation|claim"
        r"|complaint|issue|query|matter|thread|phone|line)|(?:on|in|into)(?: this| here)?)\b(?!"
        r" to\b)"
    ),
    _C(rf" (?:loop|bring|call|pull|rope) in (?P<t>{_TARGET})"),
    _C(
        rf" (?:can|could|would|will|please)(?: please)? (?P<t>{_TARGET}) (?:please )?"
        r"(?:(?:hop|jump) (?:in|on|into|onto)|join|step in|come on (?:the line|here))\b"
    ),
    _C(
        r" (?:(?:call|ring|phone|contact|reach|get in touch with)(?: to)? (?:me|us)"
        # a written message is a person's only when nothing else is to be sent: "email me when
        # it's back in stock", "text me the tracking" ask for a notice, not a person
        r"|(?:email|e mail|text|message|dm|pm|inbox) (?:me|us)(?! (?:when|once|if|as soon|the|a|an"
        r"|my|it|with|a copy|about the|updates?)\b)|give (?:me|us) an? (?:bell|ring|buzz))"
        r"(?P<callback>\b)"
    ),
    _C(
        r" (?:can|could|would|will|may|might|please|have|get|let|rather|prefer|want|need|is there"
        rf"|ask|make|if)(?: you)? (?P<t>{_TARGET}) (?:to |who can |who could |that can |could |can "
        rf"|would |will |might )?(?:{_HANDLE}{_OBJECT}|(?:{_REACH}|{_TALK} (?:to|with)) (?:me|us|my"
        r" (?:\w+ )?(?:phone|mobile|landline|number|cell))\b|give (?:me|us) an? (?:bell|ring|call"
        r"|buzz)\b|(?:help|assist|answer)(?: me| us)?\b)"
    ),
    # "can someone look?": a person asked to look, with nothing after
    _C(
        r" (?:can|could|will|would) (?P<t>someone|somebody|a human|a person|a real person"
        r"|an actual person)(?: please)? (?:look|take a look|have a look)(?= [?!.]|$)"
    ),
    # the customer repeating an earlier request: "I've asked three times for a human"
    _C(
        rf" (?:i|we)(?: have| had)?(?: already)? (?:asked(?: \w+){{0,3}} for|requested(?:"
        rf" \w+){{0,3}}(?: for)?) (?P<t>{_TARGET})"
    ),
    _C(r" (?:be|get|getting) (?:called|rung|phoned|contacted)(?: back)?(?P<callback>\b)"),
    # a real person asked to act, whatever the act: "could a live person unlock it"
    _C(
        r" (?:can|could|would|will|please|let|have|get) (?:you )?(?:an? |some )?(?P<t>(?:(?:real"
        r"|live|actual|human) )+(?:person|human|being|agent|one|man|woman|people)s?)(?: please)?"
        r" [a-z]{3,}"
    ),
)
# Rules that begin with a person are the dearest to search for: they run only when a word they
# need is in the line.
_GATES: Final = (
    (_STRANDED, _words(f"{_TALK_WORDS} {_REACH_WORDS} ask have".replace("_", " "))),
    (_WELCOMED, _words(_GOOD)),
    (_AVAILABLE, _words("available free online around")),
    (_ESCALATED, _words("escalated escalating escalation")),
)
_TERSE: Final = _C(
    # "Dear Customer Services," opens a letter: it addresses the team, it asks for no one.
    r"(?! dear\b)(?! (?:hi|hello|hey|hiya|greetings|good (?:morning|afternoon|evening))"
    r" (?:the |dear )?"
    r"(?:team|support team|support|customer service|customer care|all|everyone|guys|folks)\b)"
    # "anyone here?" asks whether someone is there (implicit, below), it asks for no one
    r"(?! (?:anyone|anybody|someone|somebody) (?:here|there|around)(?: \?|$))"
    rf" (?:(?:{_FILLER}) )*(?:{_TARGET}|{_CHANNEL}|{_NUMBER}|e ?mail(?: address| id)?)"
    rf"(?: (?:{_FILLER}|{_TARGET}|chat|talk|call|support|help|contact|available|needed|required"
    r"|link|address|details|info|request|wanted|to (?:talk|speak|chat|answer|call)))*"
)

# Implicit signals read first and masked, so the request words inside them are not read again.
_MASKED: Final = (
    # who is answering: "am I talking to a bot?", "are you a real person"
    _C(
        r" who am i (?:talking|chatting|speaking) (?:to|with)\b| (?:if|whether) (?:i am|we are)"
        r"(?: even| really| actually| still)* (?:talking|speaking|chatting|dealing) (?:to|with)\b"
        r"[^.?!;]*| (?:am i|are we|is (?:this|it"
        r"|that)(?: chat| conversation| reply| response| message)?|are you|you are|who am i|who is"
        r" this|who are you)(?: (?:really|actually|even|still|just|currently|now|only|all))*(?:"
        r" (?:talking|speaking|chatting|texting|writing|dealing)(?: to| with))?(?: (?:a|an|the"
        r"|some|just a|only a|one of|one of those|some sort of|some kind of|just some|a kind"
        rf" of))?(?: (?:real|live|actual|automated))? (?:{_alt(_PERSON_WORDS)}|{_alt(_BOT_WORDS)}"
        rf"|{_alt(_ROLE_WORDS)}|someone|somebody|real|automated|human|me|you|alive)\b"
    ),
    # obligation questions: "do I need to call someone to ...", "should I contact support"
    _C(
        r"(?<! who)(?<! whom)(?<! how)(?<! where)(?<! what)(?<! which)(?<! number)(?<! times)"
        r" (?:do|does"
        r"|will|would|should|must|shall|am) (?:i|we)(?: (?:really|actually|also|still|just|maybe"
        r"|instead))*(?: (?:need|have|got|supposed|required))?(?: to)?(?: (?:go|come|pop) (?:\w+"
        rf" ){{0,3}}and)? (?:{_TALK}|{_REACH}|go through|ask|see|visit)\b[^.?!;]*| something (?:i"
        rf"|we) (?:need|have|should|must)(?: to)? (?:{_TALK}|{_REACH}|ask)\b[^.?!;]*|(?<! what)"
        rf" (?:do|does|will|would) (?:i|we) (?:need|have|require) (?P<t>{_TARGET})| is (?:it|that"
        r"|this) (?:necessary|required|mandatory|compulsory|needed|the only way) (?:to|that i|for"
        r" me to)\b[^.?!;]*"
    ),
    # a line that does not answer: "I can't reach anyone", "no one picks up"
    _C(
        r" (?:can not|could not|unable to|not able to|never|no way to|impossible to|hard to|tried"
        r" to|been trying to|keep trying to|kept trying to|attempted to|tried)(?: even)?(?: get)?"
        r" (?:reach|contact|call|get through|get hold|get in touch|connect|ring|phone|calling"
        rf"|reaching|contacting)\b(?! (?:\S+ ){{0,4}}?(?:app|page|site|website|wifi|internet|server"
        r"|network|login|bluetooth|button|printer|device|router)\b)[^.?!;]*| (?:nobody|no one"
        r"|noone) (?:is )?(?:answer|answers|answering|picks|picking|respond|responds|responding"
        r"|gets back|got back|calls back|called back|is there|there|picked|answered|responded"
        rf"|replied)\b| (?:on hold|been holding|holding on the line) for\b| (?:{_alt(_DEPT_WORDS)}"
        rf"|{_NUMBER}|line|phone)(?: (?:is|are))?(?: (?:always|constantly|still|just))?(?: not|"
        r" never)? (?:available|reachable|unavailable|unreachable|answering|working|responding"
        r"|busy|picking up|down|closed)\b"
    ),
)
# The bot as a subject or object of doubt: "this bot", "the chat", "you" (not "you guys").
_BOT = _alt(_BOT_WORDS)
_BOTNP = (
    rf"(?:(?:this|these|those|the|your|a|an|another|such a|what a) )?(?:(?:{_BAD}) )?(?:{_BOT}"
    r"|assistant|chat|system|thing)(?: \w+)?|you(?! guys| people| lot| all)(?: \w+)?|(?:your|these"
    r"|those|the) (?:answers|replies|responses)|(?:nothing|everything|whatever|every \w+) you"
    r" (?:say|said|give)"
)
_CANNED = r"canned|scripted|automated|automatic|robotic|copy pasted?|pre ?written|templated"
_VERY = r"(?: (?:so|such|really|completely|totally|pretty|just|absolutely|the|an?|even|actually"
_VERY += r"|clearly|obviously))*"
# the bot named in a complaint about what it does or is: "the bot keeps looping", "just an AI"
_STRONG_BOT = (
    r"(?:chat bot|autoresponder|phone tree|keyword matching|automated (?:support|system|service"
    r"|chat|replies|responses)|programmed you|you (?:are|were) programmed|past (?:this|the|your)"
    r" (?:ro)?bot|(?:clearly|obviously|definitely|just|only) (?:an? )?(?:ai|bot|robot)|you(?: are|"
    r" were)?(?: \w+)? (?:reading|read|going|following) (?:from |off |by )?(?:a |the |your )?script"
    r"|(?:the |this |your |these |those )?(?:bot|bots|robot|robots|ai|assistant)(?: like (?:this"
    r"|you))? (?:keeps?|kept|never|always|is not|are not|is so|are so|is worse|are worse|is"
    r" completely|makes? me|just told|answered a|can do\b|ever))\b"
)
_CANNOT = (
    r"(?:do not|does not|did not|can not|could not|never|will not|have not|are not able to|is not"
    r" able to)(?: really| even| actually| ever)?"
)
_GRASP = (
    r"(?:understand|understood|get it|get anything|listen|listened|read|help|helped|answer|answered"
    r"|(?:do|fix|solve) anything|(?:handle|deal with|cope with) (?:this|that|it|anything|(?:\w+"
    r" )?(?:issues|problems|questions)))\b"
)
_WHERE = r"(?: (?:there|(?:from|in|at|on|over) (?:the |your )?\w+(?: \w+)?))?"
_IMPLICIT: Final = (
    # a whole message judging the chat itself: "this is useless", "so pointless", "you're no help"
    _C(
        r"\A(?: (?:honestly|seriously|wow|ugh|omg|man|jeez|well|ok|okay|lol|just|sorry but))*"
        rf"(?: (?:this|that|you|this chat|this conversation|this whole thing|all this)(?: is|"
        rf" are)?)?{_VERY} (?:useless|pointless|hopeless|unhelpful|no help|no use|of no use|a waste"
        r" of (?:my )?time|going nowhere|getting nowhere)(?: [.,;:!?])*\Z"
    ),
    # distrust of the bot: "not sure I trust a bot to have sorted that", "I don't trust this AI"
    _C(
        r" (?:not sure (?:i|we)|(?:i|we) (?:still |just |really |honestly )?(?:do not|dont|can not"
        r"|cannot|would not|really do not))"
        rf" (?:really |fully |quite )?trust (?:{_BOTNP}|you)\b"
    ),
    # the same judgement opening a longer message; words that judge an exchange, never a
    # product ("this is pointless, a credit won't bring my parcel"; not "this is useless, it leaks")
    _C(
        r"\A(?: (?:honestly|seriously|wow|ugh|omg|man|jeez|well|ok|okay|lol|just|sorry but|yeah|yep"
        r"|right|thought so|i thought so|figures|as expected|[.,!]))*"
        rf" (?:this|this chat|this conversation|this whole thing|all this)(?: is)?{_VERY}"
        r" (?:pointless|hopeless|a waste of (?:my )?time|going nowhere|getting nowhere) [.,;:!?]"
    ),
    _C(
        # disparagement: "this bot is useless", "what a useless assistant", "stupid AI", "you suck";
        # doubts about what it can do: "you don't understand", "are you even able to"
        rf" (?:{_BOTNP})(?:(?: is| are| seem| seems| was)?{_VERY} (?:{_BAD})\b| {_CANNOT}"
        rf" (?:{_GRASP}|work\b)|(?: is| are){_VERY} not{_VERY} (?:reading|listening|understanding"
        rf"|following)\b| (?:has|have) no (?:idea|clue)\b)| {_STRONG_BOT}| (?:{_BAD})(?: (?:{_BOT}"
        rf"|assistant|chat)\b| (?:talking|speaking|chatting) (?:to|with) (?:you|this|a {_BOT}))|"
        rf" (?:(?:still|just|only) (?:a|an)|(?:talking|typing|writing|speaking|chatting) to"
        rf" (?:a|an|the)|another) (?:{_BOT}|assistant"
        rf"|chat)\b| you(?: really| totally)? suck\b| you{_VERY} (?:are|seem){_VERY} (?:a {_BOT}"
        rf"|not (?:human|real|a real))| {_BOT}(?: like (?:you|this|that))? {_CANNOT} \w| you"
        rf" (?:sound|sounds|seem) like (?:an? )?(?:\w+ )?{_BOT}| , not you(?= [?!.]|$)| (?:it is"
        r"|that is) (?:clearly |obviously )?not you\b| (?:about )?as (?:useful|helpful|smart"
        r"|clever|much use) as\b| (?:better|more) (?:luck|sense|help) (?:with|from|out of) (?:an?"
        rf"|my)\b| would (?:understand|know|get|do|handle)(?: \w+){{0,3}}? better\b| (?:will not"
        rf"|can not|do not|did not|why do not) you{_VERY} {_GRASP}| (?:are|r|do|can) you(?: even|"
        r" actually| really)? (?:able|capable|allowed|authorised|authorized|have the (?:ability"
        r"|power|authority|access)) (?:to|of)\b| (?:can|do|does|could) (?:you|(?:the |this |these "
        rf"|your )?{_BOT}) (?:even|actually|really) (?:help|do|fix|understand|know|read|listen)\b|"
        r" can you (?:even )?understand (?:me|what|anything)\b| what can you (?:even|actually)"
        r" do\b| (?:doubt|not (?:at all |really |entirely |fully |so )?(?:convinced|sure)|do not"
        r" think|do not believe)(?: that)? (?:the "
        rf"|this |an? |that )?(?:(?:{_BOT}|you) (?:can|could|will|would|is|are|have|has"
        rf"|understands?|knows?)|{_BOT} (?:got|did|gets|does|understood))\b"
        r"| (?:this|that|it|you) (?:is|are) not (?:helping|helpful|useful)| (?:is there"
        r" )?(?:no one|nobody|noone) (?:who |that )?(?:can|to|will|could) help| point (?:of|in)"
        r" (?:this|talking|chatting|asking)| give up on (?:you|this|the)"
        # refusing the bot: "I'd rather not chat with a bot", "no more canned answers"
        r"| (?:rather not|better not|prefer not|refuse to|will not|do not want|no more|skip|stop"
        r"|enough of)(?:"
        rf" \w+){{0,3}}? (?:an? |the |another |this |these |those )?(?:{_BOT}|scripted|canned)|"
        r" (?:help|answers?|responses?|person|human)(?: ,)? (?:not|instead of|rather than) (?:an? "
        rf"|the |more |these |some )?(?:{_BOT}|scripted|canned|automated|generic|robotic|copy"
        r" pasted?)\b"
        # going in circles
        r"| in circles| (?:going|getting|leading) nowhere| not (?:getting|going) anywhere| dead"
        r" end\b| run ?around\b| (?:keeps?|just|is|are|they) loop(?:ing|s)?\b| (?:stop|quit)"
        r" (?:sending|giving|pasting|linking)(?: me)? (?:the |these |those |more |your )?(?:faq"
        r"|help|links?|articles?)| (?:random|generic|irrelevant) (?:help )?(?:articles?|links?"
        r"|faqs?)\b| if i wanted (?:an? |the )?(?:faq|article|link)\b| back and forth| round and"
        r" round| around and around| in a loop| (?:talking|speaking|chatting|arguing|pleading"
        r"|reasoning|explaining(?: this| it)?) (?:to|with) (?:an? |the |some )?(?:\w+ )?(?:wall"
        rf"|{_BOT}|software|parrot|toaster|vending machine)(?! team| department)| brick wall\b|"
        r" (?:answering|answered|replying to) (?:a |the )?(?:different|wrong) question|"
        rf" ,(?<!thanks ,)(?<!you ,)(?<!cheers ,) {_BOT}(?= [?!.]|$)| (?:{_CANNED}) (?:nonsense"
        rf"|rubbish|drivel|garbage|crap|junk|waffle|spiel)\b| (?:same|generic|{_CANNED}) (?:answer"
        r"|answers|thing|link|links|faq|article|articles|reply|replies|response|responses|message"
        r"|messages|menu|script)\b| keeps? (?:(?:saying|repeating|giving|sending) (?:the same|that"
        r"|me the)|asking me)| (?:repeating|repeat) yourself| (?:asked|answered|told you"
        r"|explained)(?: me)? (?:that|this|the same)(?: \w+)? (?:already|before|again|twice)|"
        r" already asked (?:me )?(?:that|this)| (?:already|just) said that| not what i (?:asked"
        r"|said|meant)| been (?:through|over) this| again and again| over and over| (?:not|no)"
        r" (?:this|that|the same)(?: \w+)? again\b| (?:second|third|fourth|fifth|sixth|umpteenth"
        r"|nth|hundredth) time (?:you|i|that)\b"
        # is anyone there: "hello? anyone?", "does a human ever read this"
        r"| (?:is|are) (?:there )?(?:actually |really )?(?:anyone|anybody|someone|somebody|a human"
        r"|a person|any humans?)(?: real| actually| really| even| still"
        r"| at all)? (?:over )?(?:there"
        r"|here|out there"
        r"|listening|reading|alive|typing|writing|replying|answering|home|around|(?:on|at) the"
        r" other (?:end|side)|working|at (?:this|the|your) (?:company|shop|store|place|firm))\b"
        r"| (?:anyone|anybody|somebody|someone) (?:there|home|here"
        r"|out there|on"
        rf" the other (?:end|side)|awake)(?= [?!.]|$)|^ hel+o{{2,}} \?|^ (?:hel+o+|hi|hey) \? (?:i"
        r" am |been |still )*waiting\b| who (?:is|are) not (?:an? )?(?:program|bot|robot|machine"
        r"|computer|ai)\b| (?:some|any)(?:thing|one|body) with (?:an? )?(?:actual "
        r"|real |working )?(?:brain|pulse|heartbeat)\b| (?:no|without a) (?:brain|pulse"
        rf"|heartbeat)\b| you (?:are )?(?:not|never){_VERY} (?:human|real)\b| (?:is|are) there"
        rf" (?:a |any )?(?:real )?(?:{_alt(_PERSON_WORDS)}|one"
        r"|body)(?= [?!.]|$)| (?:does|do|will|would|is|are) (?:an? |any )?(?:real |actual |live )?"
        r"(?:human|person"
        rf"|people|anyone|anybody|someone|somebody)(?: \w+){{0,3}}? (?:read|reading|see|seeing"
        r"|check|checking|answer|answering|look|looking|work (?:there|here)|works (?:there"
        r"|here))\b| (?:human|person|people|anyone|someone|brain|anybody) behind (?:this|it|the"
        r"|these|those)\b| (?:nobody|no one|noone|no human|no person)(?: is| are| 's)?(?: \w+)?(?:"
        r" (?:actually|really|even|ever|going to))* (?:read|reads|reading|listen|listens|listening"
        r"|monitor|monitors|monitoring|see|sees|watching|checking)\b| into (?:a|the) (?:void|ether"
        r"|black hole)\b| for (?:an? |any )?(?:actual |real )?(?:person|human) to (?:see|read)\b|"
        r" is this thing on\b| is there (?:an? |any )?(?:actual |real )?(?:brain|intelligence"
        r"|sentient|mind)\b| (?:are|r) you (?:even |actually |really |still )?(?:listening|reading"
        r"|there|real|alive|paying attention)\b| (?:replies|responses|messages|answers|chat|reply"
        r"|response)(?: \w+)? (?:automated|automatic|scripted|generated|monitored|typed|written)"
        rf" (?:by )?|^(?=.*(?: \?| knock knock| hel+o{{3,}}| anyone| anybody))(?: (?:hel+o+|hi|hey"
        r"|yo+|oi|knock|anyone|anybody|there|[?!.]))+$"
        # who is answering, asked tersely or as a choice: "bot?", "human or machine?"
        rf"|^ (?:are you |r you |you )?(?:an? )?{_BOT} (?:\?|or\b)| (?:this|it|that) is{_VERY} (?:a"
        rf" |an )?{_BOT}\b| (?:what|who) are you(?: exactly| really| actually)?(?= [?!.]|$)| {_BOT}"
        rf" or (?:as )?(?:an? )?{_alt(_PERSON_WORDS)}| {_alt(_PERSON_WORDS)} or (?:as )?(?:an?"
        rf" )?{_BOT}"
    ),
    # hints at a person without asking: "can someone help me", "a real person would know"
    _HINTS := _C(
        rf" {_SOMEONE}{_WHERE}(?: who| that)?(?: can| could| to| available to| able to| will|"
        r" better| would| is going to| going to)?(?: please| just| at least)* (?:(?:get back"
        rf"|override|approve|confirm|make an exception|decides?)\b|{_HELPISH})|"
        rf" {_SOMEONE}{_WHERE}(?: actually| really| even| ever)+ (?:know|knows|care|cares|cared"
        rf"|work|works|read|reads)\b| (?:can|could|would|will) (?:{_SOMEONE}|an? (?:person"
        rf"|human)){_WHERE}(?: please| just| at least)* (?:{_HANDLE}|confirm|check|override"
        rf"|approve)| {_SOMEONE} (?:available|around|free)\b| who is (?:your|the) (?:supervisor"
        r"|manager|boss)\b|(?<! i am a)(?<! i am an)(?<! he is a)(?<! she is a)(?<! they are)"
        r"(?<! we are) (?:real|actual|live) (?:human|person|people|agent)s?\b| (?:human"
        rf"|personal) touch\b| (?:{_SOMEONE}|(?:an? )?(?:{_alt(_PERSON_WORDS)}|staff|staff member"
        r"|manager|supervisor)) (?:\w+ )?(?:needs? to|should|could|can|would|has to|must)(?:"
        rf" have)?(?: actually| even| really| just| please)? (?:{_HANDLE}|{_HELPISH}|approve"
        r"|override|sort|check|see|fixed|sorted|understand|understood|known|seen|solved|approved"
        r"|done)\b| (?:easier|quicker|faster|better|further) (?:to (?:just )?(?:call|ring|phone)"
        r"|on the phone|by phone)\b| (?:i|we) (?:should|might)(?: just| probably| maybe| better)*"
        r" (?:call|ring|phone)\b"
        # what a person would have done: "a real employee would have refunded me by now"
        rf"| (?:an?|any) (?:real |actual |live )?(?:{_alt(_PERSON_WORDS)}|{_alt(_ROLE_WORDS)})"
        r" (?:would|could)(?: have)? (?:\w+ )?\w+"
        # nobody there: "anyone alive over there?", "so nobody is actually there"
        r"| (?:anyone|anybody|someone|somebody) (?:alive|awake)\b| (?:nobody|no one|noone)"
        # ("nobody is home" is the customer's house: "I'm at work and nobody is home")
        r" (?:is |'s )?(?:actually |really |even )*(?:there|here|around)\b"
        rf"| stuck (?:with|talking to|chatting (?:to|with)) (?:an? |this |the |some )?{_BOT}"
        # whether anyone reads at all: "anybody real reading this?", "anyone human out there?"
        r"| (?:anyone|anybody)(?: real| human| actual| actually| even| alive| at all)*"
        r" (?:reading|seeing|watching|monitoring|out there|on the other (?:end|side))\b"
        # the bot turned down: "I'm not sorting this out with a machine", "won't deal with a bot"
        r"| (?:not|never|won't|wont|refuse to|not going to|done)(?: even)? (?:deal|dealing|talk"
        r"|talking|chat|chatting|sort(?:ing)? (?:this|it) out|arguing|argue|speak|speaking)"
        rf" (?:any (?:more|longer) )?(?:with|to) (?:an? |this |the |some |your )?{_BOT}"
    ),
)

# Who a bare "transfer to ..." reaches when it is money, not a conversation.
_PEOPLE_AT_LARGE: Final = [[w] for w in ("someone", "somebody", "person", "people", "else")]
_NUMBER_CUES: Final = _words(
    "what whats how where is are can could may please pls need want give send share provide find"
    " get tell your any which best right to for of customer care service support help helpline"
    " office head toll free"
)
_NUMBER_WORDS: Final = _words("number numbers no line email address")
# What a message sent to the customer carries when it is a document, not a conversation.
_SENT_THING: Final = _words("a an the my this that these those your our copy receipt invoice code")
# A value after a label ("Phone number: 555 0101", "Email: sam@..."): the label asks for nothing.
_VALUE: Final = re.compile(r"\d|\A : [a-z]")
_ANYONE_ALONE: Final = _words("anyone anybody someone somebody hello hi hey please help me us")
_CLAUSE: Final = re.compile(r" [.,;:!?](?= |$)| but | so | and | however ")
_NEGATORS: Final = _words("not never no without nobody neither nor stop hardly than instead")
_TRANSPARENT: Final = _words(
    "someone somebody anyone anybody them me asking telling making forcing i we you really thanks"
    " even actually just want need needs wants has one looking trying planning to like would do did"
    " will have be going wish am is are ever at all necessarily think mean please a the any an more"
    " make made interested in reason point for specifically human person real agent wait waiting"
    " bothered fussed keen about"
    " does"
)
_REPORTED: Final = _words(
    "told said says asked advised suggested recommended instructed supposed promised already was"
    " were called rang phoned emailed contacted messaged spoke talked chatted gave sent got did"
    " found previously earlier yesterday last used had after since missed"
)
# The customer repeating their own request: "I already said I want a person".
_REITERATED: Final = re.compile(r"\b(?:i|we)(?: already| just)? (?:said|told you|asked)\b")
# "I was hoping to talk to someone" looks ahead; "I was talking to an agent" reports.
_PROSPECTIVE: Final = _words("hoping wondering going about looking planning wanting")
_TRIED: Final = _words("tried attempted")
_FRAMES: Final = _words("how where can could may way want need like please number best")
_MINE: Final = _words("my our his her their")
_EDITS: Final = _words(
    "change changed update updated edit add added remove removed verify wrong new correct old"
    " registered linked enter entered typed changing updating"
)
_NOT_CUSTOMER: Final = _words("it he she they this that")
_MONEY: Final = _words(
    "money funds fund cash payment balance amount pounds dollars euros account card bank"
)
# Who a person described by a relative clause is: "someone who can help" is asked for; "the
# person who sent me money" is a third party.
_RELATIVE_ASKED: Final = _words(  # or acted on the customer's case: "the person who approved it"
    "can could will would knows understands is deals handles works actually really processed"
    " handled approved reviewed assessed decided made closed cancelled declined rejected dealt"
)
_ANAPHORS: Final = frozenset({"one", "them", "one of them"})
# "the helpline number printed on the box is out of date"
_FAULTY: Final = re.compile(
    r"\b(?:is|are|was|seems|looks) (?:\w+ )?(?:out of date|outdated|wrong|incorrect|broken|dead"
    r"|disconnected)\b"
)
# "a colleague who has the authority to approve it": the person asked for, described
_POWER_HELD: Final = re.compile(
    r"(?:has|have|holds?) (?:the |enough |some )?(?:authority|power|access|ability|rights?"
    r"|permission|say)\b"
)
_ANTECEDENT: Final = re.compile(
    rf"(?<! my)(?<! our)(?<! his)(?<! her)(?<! their) (?:{_NOUN}|{_alt(_DEPT_WORDS)}|team"
    rf"|staff){_HEAD}| who (?:handles?|deals? with|looks? after|is in charge of|takes? care of)\b"
)  # a person named by their job counts too: "who handles refunds, and how do I reach them"
# What may follow a person asked for; another word makes them do something else ("have a
# person collect it").
_FOLLOW_OK: Final = _words(
    "please now asap to who that on for here today again right immediately urgently else about"
    " mate mates bro bruv buddy pal dude sir madam maam boss love hun luv fam la lah leh lor po"
    " sometime soon tomorrow tonight later next this when whenever during within before after by"
    " over quick quickly real fast omg lol"
    " regarding with from in at thanks thank so and or if then who available pls not instead rather"
    " than but because since as ok okay already too also involved assigned present being beings"
    " help assistance support straight directly back contact this tomorrow tonight later soon when"
    " whenever by via between i we of"
)
_HELP_ASKED: Final = re.compile(r" (?:help|assist|answer)(?: me| us)?$")
_IMPERATIVE: Final = _words("give get send bring")
_AUXILIARIES: Final = _words("will would does is can could never did")
# What is said of an act named as a subject: "talking to people is hard for him"
_SAID_OF_THE_ACT: Final = re.compile(
    r"(?:\S+ ){0,5}?(?:is|was|are|makes|made|feels|seems|gets) (?:so |too |really |very |quite )?"
    r"(?:hard|difficult|tough|easier|harder|impossible|stressful|scary|awkward|not|never|a pain)\b"
)
_YOU_ALL: Final = frozenset({"you", "you guys", "you all", "you lot"})
_SEE_YOU: Final = _words("later soon tomorrow next")
_NOUN_BEFORE: Final = _words("a an the my your this that our their his her live second new another")
_AFTER_PAST: Final = _words(
    "was were had did said told gave hung promised called sent left took brought came went broke"
    " lost dropped threw kept forgot got"
)
_BYGONE_TIME: Final = _words("yesterday earlier ago last previously")
_DEAD_AFTER: Final = re.compile(
    r"(?:is |are )?(?:always |still |just )?(?:(?:not|never) (?:available|answering|working"
    r"|responding|reachable|picking)|unavailable|unreachable|busy|down|closed)\b"
)
# The customer handing over their own details: "I'd rather not give a number", "reach me at ..."
_GIVEN: Final = re.compile(
    r"\b(?:i|we)\b.* (?:give|provide|enter|share|leave|type|add) (?:a|an|the|my|our|your)\b|(?:^"
    r"|you (?:can|may|could)) (?:call|contact|reach|text|email|ring|phone) (?:me|us) (?:at|on|via)"
    r" (?:\+?\d{3,}|(?:\S+ ){1,6}(?:com|net|org|co|io)\b|thereof\b)"
)
_OTHER_SUBJECTS: Final = _words(
    "my our his her their they he she friends people everyone everybody wife husband mom mum dad"
    " family driver courier"
)
_NAME_INTRO: Final = re.compile(
    r" (?:my name|(?:i am|this is) (?:\w+ ){1,3}'s|named|known as|call me (?:\w+ ){1,2}'s)\b"
)

# Every word of the concept classes above is a target for spelling correction.
_LEXICON: Final = Lexicon(
    _words(
        f"{_PERSON_WORDS} {_ROLE_WORDS} {_SOMEONE_WORDS} {_QUAL_WORDS} {_DEPT_WORDS} {_BOT_WORDS}"
        f" {_TALK_WORDS} {_REACH_WORDS} {_PASS_WORDS} {_PASSIVE_WORDS} {_UNIT_WORDS} {_ASK_PHRASES}"
        " with through please number department useless circles looping pasted".replace("_", " ")
    )
)
_SELF: Final = _C(r" (?:this is|i am|it is) [a-z]+ [,;]$")
_ROLE_LABEL: Final = re.compile(
    r"^ (?:; )?(?:system|assistant|bot|admin|instruction|developer)s? [;:]"
)


@dataclass(frozen=True, slots=True)
class _Line:
    # `norm` is searched; `starts` and `spans` map its words back to the text
    norm: str
    starts: tuple[int, ...]
    spans: tuple[tuple[int, int], ...]

    def evidence(self, text: str, start: int, end: int) -> str:
        first = bisect_right(self.starts, start) - 1
        last = bisect_right(self.starts, max(start, end - 1)) - 1
        return text[self.spans[max(first, 0)][0] : self.spans[max(last, 0)][1]]


_QUOTED_LINE: Final = re.compile(r"^[ \t]*>(?:[ \t]|$)")


_AN_ADDRESS: Final = "thereof"  # a word the grammar gives no part


def _an_address(match: re.Match[str]) -> str:
    # the same length, so every later span still points into the customer's text
    size = len(match.group())
    return _AN_ADDRESS.ljust(size) if size >= len(_AN_ADDRESS) else "x" * size


def _lines(text: str) -> Iterator[_Line]:
    offset = 0
    for raw in text.splitlines(keepends=True):
        if not _QUOTED_LINE.match(raw):
            words, starts, spans, position = [], [], [], 1
            # an address is one word, never its parts: "kwame@inbox.test" asks for no inbox
            plain = EMAIL_ADDRESS.sub(_an_address, raw)
            found = list(tokens(plain, offset, _LEXICON))
            marks = [i for i, token in enumerate(found) if token.word == '"']
            quoted = {
                i for a, b in zip(marks[::2], marks[1::2], strict=False) for i in range(a + 1, b)
            }  # words between double quotes are someone else's, not the customer's request
            for i, token in enumerate(found):
                if i in quoted:
                    continue
                words.append(";" if token.word == '"' else token.word)
                starts.append(position)
                spans.append((token.start, token.end))
                position += len(token.word) + 1
            if words:
                yield _Line(" " + " ".join(words), tuple(starts), tuple(spans))
        offset += len(raw)


def _prefix(norm: str, start: int) -> list[str]:
    before = norm[:start]
    cut = max((m.end() for m in _CLAUSE.finditer(before)), default=0)
    return before[cut:].split()


def _negated(words: list[str]) -> bool:
    j = len(words)
    while j > 0 and words[j - 1] in _TRANSPARENT and len(words) - j < 6:
        j -= 1
    if j == 0 or words[j - 1] not in _NEGATORS or "if" in words[max(j - 4, 0) : j - 1]:
        return False  # "if you don't put me through ..." is a condition, not a refusal
    # "why can't I talk to an agent?" asks for one
    return not (words[j - 1] == "not" and j > 1 and words[j - 2] in {"can", "could"})


_NEGATED = "the words say the customer does not want a person"
_PAST = "the words report something past, not a request to reach someone"
_NAME = "the words introduce a name, not a request to reach someone"
_THIRD = "the words are about someone else's person or need, not a request to reach one"
_OTHER_SENSE = "the words use a contact word in another sense, not to ask for a person"
_DEAD_LINE = "the words say a line does not answer or an attempt failed; that is no request"
_HINT = "the words ask for help from anyone, a hint rather than a request for a person"
_OWN = "the words are about the customer's own or someone else's contact details"
_TASK = "the words ask for someone to do a task, not to reach a person"
_Veto = tuple[HumanRequestKind, str]


def _opens_a_relative(span: str) -> bool:
    """Whether a match ends where a relative clause about its person begins ("... the lady who")."""
    return span.split()[-1:] in (["who"], ["that"])


def _veto(norm: str, match: re.Match[str]) -> _Veto | None:
    # Why an explicit match does not count: "none" (negated, reported, someone else's, a name,
    # another sense) or "implicit" (a failed attempt, help asked of anyone), with a reason.
    start, end = match.start(), match.end()
    words = _prefix(norm, start)
    following = norm[end:].split()
    groups = match.groupdict()
    first, *rest = match.group().split()
    if _negated(words):
        return "none", _NEGATED
    if words[-2:] in (["if", "i"], ["if", "we"]) and first in _ASK_WORDS:
        return "none", "the words put a person as a condition, not a request now"
    recent = words[-4:]
    if set(recent) & _TRIED:
        return "implicit", _DEAD_LINE
    reported = [  # "you got a number?" and "have you got" ask, in the present
        w
        for before, w, after in zip(["", *recent], recent, [*recent[1:], ""], strict=False)
        if w in _REPORTED
        and after not in _PROSPECTIVE
        and not (
            w == "got" and (after == "to" or before in {"you", "have", "all", "ya", "u", "yall"})
        )
    ]
    if reported and not _REITERATED.search(" ".join(words)):
        return "none", _PAST
    # "the same agent I had yesterday", "the lady who helped me last week": the past describes
    # the one asked for
    described = " same " in match.group() or _opens_a_relative(match.group())
    if not described and (
        (following[:1] and following[0] in _AFTER_PAST) or _BYGONE_TIME & set(following[:3])
    ):
        return "none", _PAST  # "your agent was rude", "the line last night"
    if not words and set(following[:1]) & _AUXILIARIES and {"never", "not"} & set(following[:3]):
        return "none", _NEGATED  # the act as a subject: "talking to a person won't help"
    if first.endswith("ing") and _SAID_OF_THE_ACT.match(" ".join(following[:8])):
        return "none", _OTHER_SENSE  # "talking to people on the phone is hard for him"
    if groups.get("t") in _YOU_ALL and following[:1] and following[0] in _SEE_YOU:
        return "none", _OTHER_SENSE  # "I'll talk to you guys later": a goodbye
    if _ROLE_LABEL.match(norm):
        return "none", "the words pose as an instruction to the system, not the customer's"
    if (
        first in _ACT_WORDS
        and words[-1:]
        and words[-1] in _NOUN_BEFORE
        and not set(rest[:1])
        & (_NUMBER_WORDS | _words("contact contacts for of with details info us"))
    ):
        return "none", _OTHER_SENSE  # the act as a noun: "a transfer to someone"
    if _DEAD_AFTER.match(" ".join(following)):
        return "implicit", _DEAD_LINE  # "customer care number not answering"
    if first == "call" and ("what" in words or following[:1] in (["a"], ["an"])):
        return "none", _OTHER_SENSE  # "what do you call someone who ...", "call someone a liar"
    if groups.get("callback") is not None:
        named = {"name", "nickname"} & set(following[:4])
        if named or (
            first in {"call", "ring"}
            and following[:1]
            and following[0].isalpha()
            and following[0] not in _AFTER_CALL_ME
        ):
            return "none", _NAME  # "call me Sam"
        others = {
            w
            for i, w in enumerate(words)
            if w in _OTHER_SUBJECTS and words[i - 1 : i] not in (["your"], ["ur"])
        }
        if others:
            return "none", _THIRD  # "my wife will call me"; not "one of your people"
        if first not in {"call", "ring", "phone"} and following[:1] and following[0] in _SENT_THING:
            return "none", _OTHER_SENSE  # a thing sent: "email me a transcript", "text me the code"
        if _GIVEN.search(norm) or {"preferences", "settings", "only"} & set(words):
            return "none", _OWN  # "contact me at sam@example.com": the customer's own details
    if (
        groups.get("number")
        and (
            words[-1:] == ["from"]  # "a missed call from your number": where a call came from
            or set(words) & _EDITS
            or (
                set(words[-3:]) & (_MINE | {"'s"})
                and not re.search(_alt(_DEPT_WORDS), match.group())
            )
            or (following[:1] and following[0] in _EDITS | _SUBJECT_VERBS | {"on", "in"})
            or set(following[:2]) & _MINE
            or _GIVEN.search(" ".join(words))
        )
    ):
        return "none", _OWN
    clause_after = list(itertools.takewhile(lambda w: w not in {"?", ".", "!", ";"}, following))
    if groups.get("number") and _FAULTY.search(" ".join(clause_after[:8])):
        return "none", "the words report a fault in a number, they ask for none"
    if groups.get("number") and not (
        _NUMBER_CUES & set(words + match.group().split() + following[:1]) or "?" in following[:8]
    ):  # a support line is asked for by naming it; a bare phone number needs a question
        return "none", "the words name a number without asking for one"  # "Phone number: ..."
    if (first in _ASK_WORDS and words[-1:] and words[-1] in _NOT_CUSTOMER) or (
        "does" in words[-4:] and not {"how", "where"} & set(words)
    ):
        return "none", _THIRD  # someone else's need: "does it need a person / have to go to them"
    if first.startswith(("transfer", "pass", "forward", "send")) and (
        _MONEY & set(words + following[:6])
        or (rest[:1] == ["to"] and groups.get("t", "").split()[-1:] in _PEOPLE_AT_LARGE)
    ):
        return "none", _OTHER_SENSE  # money sent to a person: "transfer the funds to someone"
    if (
        following[:1] in (["who"], ["that"])
        and not set(following[1:2]) <= _RELATIVE_ASKED
        and not _POWER_HELD.match(" ".join(following[1:5]))
    ):
        return "none", _THIRD  # "contact the person who sent me the money"
    target = groups.get("t")
    if target is None:
        return None
    if target == "assistant" and first in {"chat", "talk"} and rest[:1] not in (["to"], ["with"]):
        return "none", _OTHER_SENSE  # the bot addressed: "chat assistant, resend it"
    if words[-1:] and words[-1] in _MINE and match.start("t") <= start + 1:
        return "none", _THIRD  # "my manager"
    if target in _ANAPHORS and not _ANTECEDENT.search(norm, 0, start):
        return "none", _OTHER_SENSE  # "talk to them" with no person named before
    if (
        first in _ASK_WORDS
        and match.end("t") == end
        and following[:1]
        and (following[0].isalpha() and following[0] not in _FOLLOW_OK)
    ):
        return "none", _THIRD  # "I want the manager fired", "can I have someone collect it"
    if target == "you" and (not _FRAMES & set(words) or _OTHER_SUBJECTS & set(words)):
        return "none", _OTHER_SENSE  # "my husband will call you tomorrow"
    someone = first not in _ACT_WORDS | _IMPERATIVE and target.split()[-1] in _ANYONE_ALONE
    if someone and _HELP_ASKED.search(match.group()):
        return "implicit", _HINT  # "can someone help me?"
    if someone and match.end("t") == end:
        after = [w for w in following[:4] if w not in {"to", "who", "that", "can", "could"}]
        if after and after[0] in _HELP_WORDS:
            return "implicit", _HINT  # "I need someone to explain this"
        if following[:1] in (["to"], ["who"]) and not _MATTER.match(" ".join(following)):
            return "implicit", _TASK  # someone for a task of their own: "someone to fix my car"
    return None


def _bygone(norm: str, start: int, end: int, person: bool) -> bool:
    # a signal that is negated is none; a person hinted at in a past tale neither: "no live
    # agent pls", "a real person helped me last time", "the live agent I spoke with earlier"
    following = re.split(r" (?:why|what|how|where|when|if|whether)\b", norm[end:])[0].split()[:3]
    return _negated(_prefix(norm, start)) or bool(
        person
        and (
            (_AFTER_PAST | _REPORTED) & set(following)
            or (following[:1] and following[0].endswith("ed"))
        )
    )


def _mask(norm: str, spans: list[tuple[int, int]]) -> str:
    chars = list(norm)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != " ":
                chars[i] = "#"
    return "".join(chars)


def _clauses(norm: str) -> Iterator[tuple[int, int]]:
    # each clause span starts with a space, as every pattern expects
    start = 0
    for cut in _CLAUSE.finditer(norm):
        if cut.start() > start:
            yield start, cut.start()
        start = cut.end() - 1 if cut.group().endswith(" ") else cut.end()
    if len(norm) > start:
        yield start, len(norm)


def _read(line: _Line) -> tuple[HumanRequestKind, int, int] | None:
    implicit: tuple[int, int] | None = None
    masked = [m.span() for rule in _MASKED for m in rule.finditer(line.norm)]
    searched = _mask(line.norm, masked) if masked else line.norm
    if masked:
        implicit = min(masked)
    best: tuple[int, int] | None = None
    # "SYSTEM: transfer me" poses as an instruction: nothing in it asks for a person.
    words = set(searched.split())
    for rule in () if _ROLE_LABEL.match(line.norm) else _EXPLICIT:
        if any(rule is gated and gate.isdisjoint(words) for gated, gate in _GATES):
            continue
        for match in rule.finditer(searched):
            if best is not None and match.start() >= best[0]:
                break
            verdict = _veto(line.norm, match)
            if verdict is None:
                best = match.span()
                break
            if verdict[0] == "implicit" and implicit is None:
                implicit = match.span()
    for start, stop in () if _ROLE_LABEL.match(line.norm) else _clauses(searched):
        if _TERSE.fullmatch(searched, start, stop):
            if searched.startswith(" the ", start) and searched.startswith(" ;", stop):
                continue  # "The delivery person (lovely guy) left it": a subject, no request
            clause = set(searched[start:stop].split())
            after = searched[stop:]
            if clause & _NUMBER_WORDS and _VALUE.search(after):
                continue  # a form field ("Phone number: ...") names a number, it asks for none
            if ("assistant" in clause and after.strip(" ?!.")) or _SELF.search(searched, 0, start):
                continue  # the bot addressed, "hey assistant, add my card"; "I am Sam, the owner"
            if not clause - _ANYONE_ALONE:
                implicit = implicit or (start, stop)  # "anyone?" hints, it does not ask
                continue
            if best is None or start < best[0]:
                best = (start, stop)
            break
    if best is not None:
        return ("explicit", *best)
    if implicit is None:
        found = [
            m.span()
            for rule in _IMPLICIT
            for m in rule.finditer(searched)
            if not _bygone(line.norm, m.start(), m.end(), rule is _HINTS)
        ]
        implicit = min(found) if found else None
    return None if implicit is None else ("implicit", *implicit)


def detect_human_request(text: str) -> HumanRequest:
    """Classify `text` as an explicit request for a human, an implicit signal, or neither."""
    implicit: HumanRequest | None = None
    for line in _lines(text):
        found = _read(line)
        if found is None:
            continue
        kind, start, end = found
        start += line.norm[start:end].startswith(" ")
        evidence = line.evidence(text, start, end)
        if kind == "explicit":
            return HumanRequest("explicit", evidence)
        implicit = implicit or HumanRequest("implicit", evidence)
    return implicit or NONE


# -- Guard for a model's claim that the customer asked for a person ------------------------------

_MENTION: Final = _C(
    rf" (?:{_REACH} (?:me|us)(?P<callback>\b)|(?P<number>{_NUMBER})|(?P<t>{_TARGET}|{_CHANNEL}"
    rf"|(?:the |your )?support\b)|(?P<act>{_PASS}|{_TALK}|{_REACH}|{_alt(_PASSIVE_WORDS)}))"
)


# Words before a mentioned person that put them in a request: a want, an act, a plea.
_REQUEST_CUES: Final = (_ACT_WORDS | _ASK_WORDS | _words("rather prefer let give")) - _words(
    "can could may to just find"
)
# A modal or "is" right before a person asks of them when an act or help follows ("can someone
# call me", "is a person available"); any other verb makes them a subject ("can staff use it").
_ASKED_OF: Final = _words("can could would will please is are there")
_ASKED_ACTS: Final = (
    _words(f"{_TALK_WORDS} {_REACH_WORDS}")
    | _HELP_WORDS
    | _words("connect transfer put available free look sort check")
)
# The word right before a person links them to the request: a cue, a preposition, "me" ("get
# me a person"); any other word makes the person part of something else ("in person", "a dog
# person", "poor customer service", "hire someone").
_LINKS: Final = (_REQUEST_CUES | _ASKED_OF) - _words("find") | _words(
    "to with for from of me us like someone somebody else a an the"
)
# A verb right after a person makes them the subject of a statement ("someone is using my
# card", "your agents are rude"), unless an act follows ("someone needs to call me").
_SUBJECT_VERBS: Final = _words(
    "is are was were has have had might may must should will would can could does did do takes need"
    " needs says seems made"
)


def _unasked(clause: str, before: list[str], after: list[str]) -> _Veto | None:
    # a person mentioned with nothing before them that asks ("the manager left it outside";
    # a quote may begin at the person asked to act, "[have] someone look at it"), the subject of a
    # statement ("someone is using my card"), or of a report ("a person on the phone was lovely")
    if _TERSE.fullmatch(clause):
        return None
    acts = _ASKED_ACTS & set(after[:4])
    asked_of = set(before[-1:]) <= _ASKED_OF and after[:1] and after[0] in _ASKED_ACTS
    if not (_REQUEST_CUES & set(before) or asked_of) or (before and before[-1] not in _LINKS):
        return "none", "the words mention a person without asking to reach one"
    if after[:1] and after[0] in _SUBJECT_VERBS and not acts:
        return "none", "the words say what a person does, not a request to reach one"
    if _AFTER_PAST & set(after) or (after and after[0].endswith("ed")):
        return "none", _PAST
    return None


def request_words_refusal(words: str) -> str | None:
    """Why these words (quoted by a model from the customer's message) do not ask to reach a
    person, team or contact channel; None when they do."""
    lines = list(_lines(words))
    if not lines:
        return "no words were quoted from the customer's message"
    reason = "the words name no person, team or contact channel to reach"
    for line in lines:
        found = _read(line)
        if found is not None and found[0] == "explicit":
            return None
        if _NAME_INTRO.search(line.norm):
            reason = _NAME
            continue
        masked = [m.span() for rule in _MASKED for m in rule.finditer(line.norm)]
        if masked:
            reason = "the words ask whether the bot is a person, or about a line that failed"
        searched = _mask(line.norm, masked) if masked else line.norm
        # More permissive than the detector: a person or channel named in a request sense is
        # enough (the model read the whole message). Help asked of "someone" is a hint, which
        # never escalates by itself, whoever claims it.
        vetoed: set[int] = set()  # clauses whose first mention was vetoed ("I don't want to
        for match in _MENTION.finditer(searched):  # talk to a human": "a human" goes with it)
            start, stop = next(c for c in _clauses(searched) if c[0] <= match.start() < c[1])
            if start in vetoed:
                continue
            if match.group("act") is not None:
                # an act is no request by itself ("talk me through it"), but it carries the
                # clause's negation or report to the person after it
                verdict = _veto(line.norm, match)
                if verdict is not None:
                    vetoed.add(start)
                    reason = verdict[1]
                continue
            vetoed.add(start)
            after = searched[match.end() : stop].split()[:4]
            before = searched[start : match.start()].split()
            if found is not None and set(match.group().split()) <= _ANYONE_ALONE:
                reason = _HINT  # "is anyone available to help?": the detector's hint stands
                continue
            verdict = _veto(line.norm, match) or _unasked(searched[start:stop], before, after)
            if verdict is None:
                return None
            reason = verdict[1]
    return reason


# -- Consent to the person the bot offered -----------------------------------------------------

# Whole answers to "Would you rather talk to a person?": a yes, optionally who to bring in.
_ASSENT: Final = _alt(
    "yes yess yes_please yeah yep yup yea yeh ye y sure sure_thing ok okay k alright all_right"
    " fine absolutely definitely certainly of_course please please_do go_ahead do_it do_that"
    " do_so i_would i_do i_would_like_that i_would_like_to i_would_love_that i_would_prefer_that"
    " that_would_be_great that_would_be_good that_would_be_helpful that_would_help sounds_good"
    " perfect great why_not let_us_do_that let_us_do_it"
)
_OFFERED: Final = (
    r"(?:(?:bring|get|put) (?:one|someone|somebody|them|a (?:real )?(?:person|human)) (?:in|on)"
    r"|(?:a |an )?(?:real )?(?:person|human|agent|someone|somebody)|put me through|connect me)"
)
_COURTESY_LIST: Final = "please thanks thank_you thx ty cheers then now asap"
_COURTESY: Final = _alt(_COURTESY_LIST)
_COURTESY_WORDS: Final = _words(_COURTESY_LIST.replace("_", " "))
_CONSENT: Final = _C(
    rf"(?: (?:oh|well|um|hmm|ah))? {_ASSENT}(?:(?: and)? (?:{_ASSENT}|{_OFFERED}))*"
    rf"(?: {_COURTESY})*"
)
# "ok", "great, thanks" after a reply that also solved something acknowledge it: no yes.
_ACKNOWLEDGING: Final = _words(
    "ok okay k alright all right fine great perfect oh well um hmm ah and then now"
)


def consent_words(text: str) -> str | None:
    """The customer's words when the whole message says yes to a person the bot offered
    ("yes please", "sure, bring someone in"); None for anything else ("yes, order 1042")."""
    lines = list(_lines(text))
    norm = " " + " ".join(w for line in lines for w in line.norm.split() if w.isalnum())
    if not lines or not _CONSENT.fullmatch(norm):
        return None
    if not set(norm.split()) - _COURTESY_WORDS - _ACKNOWLEDGING:
        return None
    return text.strip()

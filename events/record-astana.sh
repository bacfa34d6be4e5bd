#!/usr/bin/env bash
# Record the Astana Times report on the Central and South Asian Regional Conference on
# Countering Violent Extremism (Astana, 29-30 June 2015) through the archive's own CLI.
#
#   usage: events/record-astana.sh [ARCHIVE_FOLDER]     (default: the repository root)
#   env:   ARCHIVE           the `archive` command to run (default: `archive` from PATH)
#          ARCHIVE_RECORDER  who is recording (default: events/record-astana.sh)
#
# events/events.jsonl is made by this script and nothing else: never edit it by hand.
# Every event has a fixed id (--id), so running the script again on its own log writes
# nothing ("already recorded"); if a fact here is changed after the log was shipped, the
# CLI refuses the rerun (same id, different content) and the shipped log must be fixed
# with `archive correct` / `archive retract`, not by editing this script alone.
#
# SOURCE. The seed file (shared/seeds/000_1e47d619a7706ac8.txt) does not carry the
# report's address. Its headline, the photo label "6215 (Груп. фото)", the caption and the
# opening paragraphs match word for word the Astana Times article stored at
#   https://astanatimes.com/2015/07/calls-for-broader-cooperation-define-astana-anti-extremism-conference/
# so that URL is used as the stable source identifier. (Had no address been found, the
# fallback identifier would be urn:astana-times:cve-conference-2015.)
#
# LOCATORS. Paragraphs are numbered p1, p2, ... in the order of the NON-EMPTY lines of the
# seed file (a line break inside a paragraph, as before "Law enforcement must also be
# seen", counts as a new paragraph, because it is a new line):
#   p1  headline "Calls for Broader Cooperation Define Astana Anti-Extremism Conference"
#   p2  photo label "6215 (Груп. фото)"
#   p3  photo caption "Participants in the ... in Astana on June 29."
#   p4  "ASTANA – Over two days of presentations and dialogue ..."
#   p5  "The need for cooperation ..." (theme; Massimov's launch and two quotes)
#   p6  "Massimov called for an international convention ..." (the proposals)
#   p7  "Representatives of the governments and civil societies of 18 countries ..."
#   p8  "In his opening remarks, U.S. Customs and Border Control Commissioner ..."
#   p9  "Speaking after the conference, Kerlikowske ..."
#   p10 "Law enforcement must also be seen as more than ..."
#   p11 "The need to safeguard human rights ..." (Burian's panel, EU Strategy, Draganov)
#   p12 "“An integral part of this whole society approach …" (Draganov's quotes)
#   p13 "In further panels on ..." (eight panels; religious education)
#   p14 "Nurtay Abykayev ..." (figures; the Internet; Sabirov)
#   p15 "Faheem Ahamed ..." (and Zaid Mohseni)
#   p16 "Adlet Mustafinov ..."
#   p17 "Representatives from the New York Police Department and the Houston ..."
#   p18 "Concluding the first day of the conference, participants agreed ..." (summit)
#   p19 "The steps include ..." (the seven agreed steps)
#   p20 "The conference was organised by the governments of Kazakhstan and the US ..."
#   p21 newsletter advertisement of the website: not about the conference, not recorded.
# A locator is one paragraph (p5), a range (p18-p19) or a list (p4,p5,p20).
#
# DECISIONS (nothing is recorded that the report does not state):
# - Year: the report gives "June 29–30" without a year; the conference was in 2015.
# - Dates (--at) only where the report gives them: the conference start and the photo
#   (June 29), Massimov's launch of the discussions (the first day, June 29), the
#   agreement "concluding the first day" (June 29), the EU Strategy (June 22, external
#   context, hence a note). The follow-up summit is "September in New York": --when 2015-09.
#   Kerlikowske's "opening remarks" and his remarks "after the conference" get no date.
# - People: --role is the role in the report's words, --affiliation the organisation,
#   --country only where the report ties the person to a country ("Kazakh", "U.S.",
#   "Kazakhstan's"); --description keeps the report's whole phrase verbatim. The report
#   prints "Kazakh Prime Minster": the role is recorded as "Prime Minister" (an obvious
#   misprint) and the printed text is kept verbatim in the description.
#   "U.S. Customs and Border Control" is kept as the report names the agency.
# - Organisation names are the report's own: "UN" and "EU" (the report only abbreviates
#   them), "Organisation for Security and Cooperation in Europe" and "International
#   Organisation for Migration" (abbreviations in the description). The UN, OSCE, IOM and
#   the EU (represented by Burian) have the category "international body"; the nine
#   Central and South Asian countries the category "Central and South Asia". The United
#   States is recorded as a country because its government co-organised (p20); the
#   report does not say whether it is among the 18. No country is given to the two city
#   police departments, Lapis Communications or the Moby Group: the report names none.
# - Speeches: kind opening (Massimov's launch, Kerlikowske's opening remarks), interview
#   (Kerlikowske after the conference), panel (Burian, the only speaker the report places
#   in a named panel), remark (everyone else; Draganov "continued the theme", but the
#   report does not say in which panel, so no session). The two police departments'
#   shared practices are a remark each, spoken by the department. Quotes are the text
#   between the quotation marks, word for word (curly apostrophes, "[T]here’s", "…");
#   a comma that only ends the quotation before "he said" is left out. The one-word
#   quotations “massive” (Abykayev) and “real progress” (Kerlikowske) are quotes too;
#   “traditional” Islam (p13) is the reporter's scare quote, kept inside a note.
# - Proposals: what the report says was proposed, called for or urged as a measure:
#   the four of p6 (the convention by Massimov; database, removal mechanism and research
#   networks, proposer not stated), the participants' call for more tools (p4, proposer
#   not stated), Sabirov's call and his urging (p14) and Ahamed's call (p15). "Urged more
#   action" (p13) names no measure and stays in a note; Mohseni "discussed" (no call).
# - Sessions: the named panel and the eight "further panels" of p13, kind panel, titles
#   verbatim. The themes the report summarises are notes, not sessions: the report does
#   not present them as parts of the programme. Sabirov's "Kazakh-language media" is his
#   own point (speech + proposal), not a theme the report summarises.
# - Figures: 18 countries (stated by the report), the two days, and Abykayev's "more
#   than 150 Kazakhs" and "more than 200 women, widows and children".
# - The photo: no image file; a caption-only attachment. The attachment has no field for
#   a label or file name that the CLI lets us set, so the label "6215 (Груп. фото)" is
#   kept verbatim (Cyrillic as written) in --credit.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${1:-$REPO_ROOT}"
ARCHIVE="${ARCHIVE:-archive}"
RECORDER="${ARCHIVE_RECORDER:-events/record-astana.sh}"
SRC="https://astanatimes.com/2015/07/calls-for-broader-cooperation-define-astana-anti-extremism-conference/"
CONF="astana15"  # the conference event's id; every other fact names it

# stdin is /dev/null so that a missing required option fails instead of prompting.
arc() { "$ARCHIVE" --archive "$TARGET" --recorder "$RECORDER" "$@" </dev/null; }
# fact KIND ID LOCATOR [OPTIONS...]: one fact of this conference, citing the report.
fact() {
  local kind="$1" id="$2" loc="$3"
  shift 3
  arc add "$kind" --id "$id" --conference "$CONF" --source "$SRC" --locator "$loc" "$@"
}

arc init

# ------------------------------------------------------------------ the conference
arc add conference --id "$CONF" --source "$SRC" --locator "p4,p5,p20" --at 2015-06-29 \
  --name "Central and South Asian Regional Conference on Countering Violent Extremism" \
  --place "Astana" --start 2015-06-29 --end 2015-06-30 \
  --organiser "Government of Kazakhstan" --organiser "Government of the United States" \
  --supporter "OSCE Programme Office in Astana" \
  --description "Over two days of presentations and dialogue, participants called for more tools to support collaborative work to block terrorist recruitment efforts and discussed global law enforcement and other practices to identify and respond to potential threats."

fact attachment astana15-photo "p2-p3" --at 2015-06-29 --kind photo \
  --caption "Participants in the Central and South Asian Regional Conference on Countering Violent Extremism in Astana on June 29." \
  --credit "6215 (Груп. фото)"

# ------------------------------------------------------------------ countries
country() {  # country ID LOCATOR NAME [OPTIONS...]
  local id="$1" loc="$2" name="$3"
  shift 3
  fact participant "$id" "$loc" --kind country --name "$name" "$@"
}
CSA="Central and South Asia"
country astana15-c-afghanistan p7 "Afghanistan" --category "$CSA"
country astana15-c-bangladesh p7 "Bangladesh" --category "$CSA"
country astana15-c-kazakhstan "p7,p20" "Kazakhstan" --category "$CSA" --role "organiser" \
  --description "The conference was organised by the governments of Kazakhstan and the United States."
country astana15-c-kyrgyzstan p7 "Kyrgyzstan" --category "$CSA"
country astana15-c-india p7 "India" --category "$CSA"
country astana15-c-pakistan p7 "Pakistan" --category "$CSA"
country astana15-c-sri-lanka p7 "Sri Lanka" --category "$CSA"
country astana15-c-tajikistan p7 "Tajikistan" --category "$CSA"
country astana15-c-uzbekistan p7 "Uzbekistan" --category "$CSA"
country astana15-c-us p20 "United States" --role "organiser" \
  --description "The conference was organised by the governments of Kazakhstan and the United States."

# ------------------------------------------------------------------ organisations
org() {  # org ID LOCATOR NAME [OPTIONS...]
  local id="$1" loc="$2" name="$3"
  shift 3
  fact participant "$id" "$loc" --kind organisation --name "$name" "$@"
}
IB="international body"
org astana15-o-un p7 "UN" --category "$IB"
org astana15-o-osce p7 "Organisation for Security and Cooperation in Europe" --category "$IB" \
  --description "Abbreviated OSCE in the report."
org astana15-o-iom p7 "International Organisation for Migration" --category "$IB" \
  --description "Abbreviated IOM in the report."
org astana15-o-eu p11 "EU" --category "$IB" \
  --description "Represented by Peter Burian, EU Special Representative to Central Asia."
org astana15-o-osce-astana p20 "OSCE Programme Office in Astana" --role "supporter" \
  --description "The conference was organised with support from the OSCE Programme Office in Astana."
org astana15-o-cbc p8 "U.S. Customs and Border Control" --country "United States"
org astana15-o-unrcca p11 "UN Regional Centre for Preventative Diplomacy for Central Asia" \
  --description "Ashgabat-based, in the report's words."
org astana15-o-nsc p14 "National Security Committee" --country "Kazakhstan" \
  --description "As the report gives it: “Kazakhstan’s National Security Committee”."
org astana15-o-iak p14 "Internet Association of Kazakhstan" --country "Kazakhstan"
org astana15-o-lapis p15 "Lapis Communications" \
  --description "An organisation that works to counter extremist communication."
org astana15-o-moby p15 "Moby Group"
org astana15-o-penal p16 "Committee of the Penal System" --country "Kazakhstan" \
  --description "As the report gives it: “the Committee of the Penal System of Kazakhstan’s Ministry of Internal Affairs”."
org astana15-o-nypd p17 "New York Police Department"
org astana15-o-hpd p17 "Houston Police Department"

# ------------------------------------------------------------------ people
person() {  # person ID LOCATOR NAME [OPTIONS...]
  local id="$1" loc="$2" name="$3"
  shift 3
  fact participant "$id" "$loc" --kind person --name "$name" "$@"
}
person astana15-p-massimov p5 "Karim Massimov" --role "Prime Minister" --country "Kazakhstan" \
  --description "As the report prints it: “Kazakh Prime Minster Karim Massimov” (“Minster” is a misprint of “Minister”)."
person astana15-p-kerlikowske p8 "Gil Kerlikowske" --role "Commissioner" \
  --affiliation "U.S. Customs and Border Control" --country "United States" \
  --description "As the report gives it: “U.S. Customs and Border Control Commissioner Gil Kerlikowske”."
person astana15-p-burian p11 "Peter Burian" --role "EU Special Representative to Central Asia" \
  --affiliation "EU" \
  --description "As the report gives it: “EU Special Representative to Central Asia Peter Burian”."
person astana15-p-draganov p11 "Petko Draganov" \
  --role "special representative of the UN secretary-general and head of the Ashgabat-based UN Regional Centre for Preventative Diplomacy for Central Asia" \
  --affiliation "UN Regional Centre for Preventative Diplomacy for Central Asia" \
  --description "As the report gives it: “Petko Draganov, special representative of the UN secretary-general and head of the Ashgabat-based UN Regional Centre for Preventative Diplomacy for Central Asia”."
person astana15-p-abykayev p14 "Nurtay Abykayev" --role "chairman" \
  --affiliation "National Security Committee" --country "Kazakhstan" \
  --description "As the report gives it: “Nurtay Abykayev, chairman of Kazakhstan’s National Security Committee”."
person astana15-p-sabirov p14 "Shavkat Sabirov" --role "president" \
  --affiliation "Internet Association of Kazakhstan" \
  --description "As the report gives it: “Shavkat Sabirov, president of the Internet Association of Kazakhstan”."
person astana15-p-ahamed p15 "Faheem Ahamed" --role "CEO" --affiliation "Lapis Communications" \
  --description "As the report gives it: “Faheem Ahamed, CEO of Lapis Communications, an organisation that works to counter extremist communication”."
person astana15-p-mohseni p15 "Zaid Mohseni" --role "COO" --affiliation "Moby Group" \
  --description "As the report gives it: “Zaid Mohseni, COO of the Moby Group”."
person astana15-p-mustafinov p16 "Adlet Mustafinov" --role "deputy head of division" \
  --affiliation "Committee of the Penal System" --country "Kazakhstan" \
  --description "As the report gives it: “Adlet Mustafinov, deputy head of division of the Committee of the Penal System of Kazakhstan’s Ministry of Internal Affairs”."

# ------------------------------------------------------------------ sessions (panels)
PANEL="Violent extremism in Central and South Asia: threat assessment and countermeasures"
fact session astana15-s-threats p11 --kind panel --title "$PANEL"
FURTHER="One of the further panels in which international participants shared success stories and urged more action."
fact session astana15-s-media p13 --kind panel --description "$FURTHER" \
  --title "countering violent extremism in media"
fact session astana15-s-innovative p13 --kind panel --description "$FURTHER" \
  --title "innovative approaches to preventing and countering violent extremism"
fact session astana15-s-strategies p13 --kind panel --description "$FURTHER" \
  --title "developing national strategies and action plans for countering violent extremism"
fact session astana15-s-research p13 --kind panel --description "$FURTHER" \
  --title "promoting local research"
fact session astana15-s-partnerships p13 --kind panel --description "$FURTHER" \
  --title "developing partnerships between government and civil society"
fact session astana15-s-methods p13 --kind panel --description "$FURTHER" \
  --title "methods of combatting terrorism"
fact session astana15-s-segments p13 --kind panel --description "$FURTHER" \
  --title "the role of different segments of society"
fact session astana15-s-counter-msg p13 --kind panel --description "$FURTHER" \
  --title "promoting counter messaging"

# ------------------------------------------------------------------ what was said, in order
# p1, p5: the cooperation theme
fact note astana15-n-cooperation "p1,p5" --topic "cooperation" \
  --text "The need for cooperation between governments and between governments, law enforcement bodies and communities became a theme of the June 29–30 conference in Astana; the report's headline: “Calls for Broader Cooperation Define Astana Anti-Extremism Conference”."

# p4: the participants' call
fact proposal astana15-pr-tools p4 --topic "terrorist recruitment" \
  --text "More tools to support collaborative work to block terrorist recruitment efforts (called for by the participants)."
fact figure astana15-f-days p4 --value 2 --unit "days" --counts "days of presentations and dialogue"

# p5: Massimov launches the discussions
fact speech astana15-sp-massimov p5 --at 2015-06-29 --speaker "Karim Massimov" --kind opening \
  --role "Prime Minister" \
  --summary "Focused on cooperative efforts and the large role to be played by civil society actors in countering extremist violence." \
  --quote "We have to join our forces with all constructive forces in this world who are ready to counter violent extremism" \
  --quote "That is why we have to boost our contacts and cooperation with law enforcement agencies all over the world."

# p6: the proposals
fact proposal astana15-pr-convention p6 --proposer "Karim Massimov" \
  --topic "international legislation and mechanisms" \
  --text "An international convention defining terrorism."
fact proposal astana15-pr-database p6 --topic "role of media" \
  --text "A global database of extremist content online."
fact proposal astana15-pr-removal p6 --topic "role of media" \
  --text "A mechanism to remove extremist content online."
fact proposal astana15-pr-networks p6 --topic "prevention" \
  --text "Creating integrated regional research and awareness networks."

# p7: who took part
fact figure astana15-f-countries p7 --value 18 --counts "countries represented"
fact note astana15-n-participants p7 --topic "comprehensive cooperation and root causes" \
  --text "Representatives of the governments and civil societies of 18 countries, plus private sector organisations and international bodies, discussed the need for comprehensive cooperation to prevent terrorism and explored possible root causes of the phenomenon today."

# p8-p10: Kerlikowske
fact speech astana15-sp-kerlik-open p8 --speaker "Gil Kerlikowske" --kind opening \
  --role "Commissioner" --affiliation "U.S. Customs and Border Control" \
  --summary "Said security will not come from stopping security threats, but strengthening the social fabric and addressing the way governments interact with populations." \
  --quote "One way to meet the challenge is by empowering local communities to develop effective prevention and intervention programmes. Local communities maintain the most credible and persuasive voices to challenge that ideology."
fact speech astana15-sp-kerlik-after "p9-p10" --speaker "Gil Kerlikowske" --kind interview \
  --role "Commissioner" --affiliation "U.S. Customs and Border Control" \
  --summary "Speaking after the conference, said he saw real progress in the recognition that law enforcement and government alone could not stop terrorism; law enforcement must also be seen as more than simply an investigative and punitive force, but, in the context of improving government-governed interaction, as a protector of the rights of individuals." \
  --quote "real progress" \
  --quote "[T]here’s much more to this complex problem, involving a lot of other key players" \
  --quote "You’re not going to arrest your way out of this particular problem."

# p11-p12: human rights; Burian's panel; the EU Strategy; Draganov
fact note astana15-n-human-rights p11 --topic "human rights" \
  --text "The need to safeguard human rights as a way to preventing violence was also repeated throughout the conference."
fact speech astana15-sp-burian p11 --speaker "Peter Burian" --kind panel --session "$PANEL" \
  --role "EU Special Representative to Central Asia" --affiliation "EU" \
  --summary "Cautioned that excessive censorship of information or harsh crackdowns on communities would only fuel grievances that give rise to terrorism."
fact note astana15-n-eu-strategy p11 --at 2015-06-22 --topic "external context" \
  --text "The new EU Strategy for Central Asia adopted on June 22 takes the promotion of human rights in the region as a priority."
fact speech astana15-sp-draganov "p11-p12" --speaker "Petko Draganov" --kind remark \
  --role "special representative of the UN secretary-general and head of the Ashgabat-based UN Regional Centre for Preventative Diplomacy for Central Asia" \
  --affiliation "UN Regional Centre for Preventative Diplomacy for Central Asia" \
  --summary "Continued the theme of safeguarding human rights: preventing violent extremism and promoting human rights go hand in hand, and without core human rights states risk pushing their youth into violent predatory groups." \
  --quote "An integral part of this whole society approach … is the acknowledgement that preventing violent extremism and promoting human rights go hand in hand" \
  --quote "Without meaningful recognition and implementation of core human rights, states aiming to protect their people from extremism are at risk of pushing their youth into violent predatory groups."

# p13: further panels; religious education
fact note astana15-n-further-panels p13 --topic "success stories" \
  --text "In further panels, international participants shared success stories and urged more action."
fact note astana15-n-religion p13 --topic "religious education and “traditional” Islam" \
  --text "Much emphasis was also placed on religious education and promoting an understanding of “traditional” Islam in order to prevent extremist thought from spreading."

# p14: Abykayev; recruitment and the Internet; Sabirov
fact speech astana15-sp-abykayev p14 --speaker "Nurtay Abykayev" --kind remark \
  --role "chairman" --affiliation "National Security Committee" \
  --summary "Said Kazakhstan faced massive recruiting efforts and that more than 150 Kazakhs and more than 200 women, widows and children had travelled to areas of conflict to fight for terrorist groups." \
  --quote "massive"
fact figure astana15-f-kazakhs p14 --value 150 --qualifier "more than" --cited-by "Nurtay Abykayev" \
  --counts "Kazakhs who had travelled to areas of conflict to fight for terrorist groups"
fact figure astana15-f-women p14 --value 200 --qualifier "more than" --cited-by "Nurtay Abykayev" \
  --counts "women, widows and children who had travelled to areas of conflict to fight for terrorist groups"
fact note astana15-n-internet p14 --topic "recruitment and the Internet" \
  --text "The task of countering recruiting efforts and the role of the Internet in particular was a matter of focus."
fact speech astana15-sp-sabirov p14 --speaker "Shavkat Sabirov" --kind remark \
  --role "president" --affiliation "Internet Association of Kazakhstan" \
  --summary "Called for a more specific targeting of dangerous online content, rather than the wholesale blocking of websites, and urged more attention to be paid to Kazakh-language media."
fact proposal astana15-pr-targeting p14 --proposer "Shavkat Sabirov" --topic "dangerous online content" \
  --text "A more specific targeting of dangerous online content, rather than the wholesale blocking of websites."
fact proposal astana15-pr-kazakh-media p14 --proposer "Shavkat Sabirov" --topic "Kazakh-language media" \
  --text "More attention to be paid to Kazakh-language media."

# p15: Ahamed and Mohseni
fact speech astana15-sp-ahamed p15 --speaker "Faheem Ahamed" --kind remark \
  --role "CEO" --affiliation "Lapis Communications" \
  --summary "Called for rethinking ways to counter extremist messages: to stop reacting and start focusing on changing mindsets rather than countering arguments." \
  --quote "What we need to focus on is the master narrative, rather than the counter narrative. There is no master narrative for the Middle East, there is no master narrative internationally of who we are and what we stand for"
fact proposal astana15-pr-rethinking p15 --proposer "Faheem Ahamed" --topic "counter messaging" \
  --text "Rethinking ways to counter extremist messages: to stop reacting and start focusing on changing mindsets rather than countering arguments."
fact speech astana15-sp-mohseni p15 --speaker "Zaid Mohseni" --kind remark \
  --role "COO" --affiliation "Moby Group" \
  --summary "Discussed the importance of not providing more airtime to violent messages by countering them, and instead focusing on sophisticated proactive communications and branding through social media, mobile applications and even gaming platforms."

# p16: Mustafinov
fact speech astana15-sp-mustafinov p16 --speaker "Adlet Mustafinov" --kind remark \
  --role "deputy head of division" --affiliation "Committee of the Penal System" \
  --summary "Commented on Kazakhstan’s efforts to thwart recruitment efforts in prisons, including through training prison staff, placing religious advisors in prisons and helping reformed inmates publish their own thoughts."

# p17: the two city police departments
POLICE="Representatives shared their methods of detecting and preventing violent extremism through surveillance, community outreach, particularly in a variety of languages, as well as community training on police work and alliances with clergy members."
fact speech astana15-sp-nypd p17 --speaker "New York Police Department" --kind remark --summary "$POLICE"
fact speech astana15-sp-hpd p17 --speaker "Houston Police Department" --kind remark --summary "$POLICE"

# p18-p19: the agreement at the end of the first day, and the follow-up summit
fact agreement astana15-agreement "p18-p19" --at 2015-06-29 \
  --title "Steps to enhance counterterrorism efforts in Central and South Asia" \
  --party "conference participants" \
  --item "identifying persons responsible for countering extremism in each country in the region" \
  --item "developing inclusive national CVE strategies" \
  --item "implementing Global Counterterrorism Forum good practices" \
  --item "providing support for national nongovernmental organisations fighting extremism" \
  --item "developing CVE training programmes for public servants that promote rights" \
  --item "developing programmes for countering radicalisation in prisons and for rehabilitating violent extremist offenders" \
  --item "strengthening the capacity of civil society organisations and others in the region engaged in providing information that counters hateful, violence-filled messages of extremists"
fact followup astana15-summit p18 --name "Countering Violent Extremism (CVE) leaders’ summit" \
  --when 2015-09 --where "New York" \
  --description "Set for September in New York; the conference participants agreed their steps ahead of it."

arc verify

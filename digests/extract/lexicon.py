"""Word lists for topics and places: what subjects news is about, and the world's countries.

The subject lexicon maps a topic label to words a reporter uses when writing about it; an
article is about a subject when it keeps using that subject's words.  The words are singular
and lower case (plurals are folded before lookup).  Countries, their people and a handful of
regions are listed so that "Ukraine", "Ukrainian" and "Ukrainians" all point to a place
without a gazetteer download.
"""

from __future__ import annotations

__all__ = ["COUNTRIES", "DEMONYMS", "REGIONS", "SUBJECTS"]

_SUBJECT_WORDS: dict[str, str] = {
    "politics": """
        election vote voter poll parliament mp mps minister government opposition party labour
        conservative tory tories democrat republican senate senator congress congressman
        campaign manifesto cabinet chancellor referendum coalition lawmaker legislation bill
        ballot constituency downing whitehall president presidential prime policy politician
        political mayor councillor governor candidate liberal
    """,
    "business": """
        company firm shares shareholder profit revenue sales chief executive ceo merger
        takeover acquisition investor market stock retailer brand deal corporate boardroom
        earnings dividend bankruptcy chairman customer supplier industry factory startup
        airline bank banking
    """,
    "economy": """
        economy economic inflation interest rate gdp growth recession unemployment jobless
        wage budget tax taxes deficit debt spending treasury currency dollar euro pound
        export import trade tariff price prices cost living central bank imf
    """,
    "sport": """
        match game goal season league cup championship tournament player coach manager team
        club striker midfielder defender goalkeeper football soccer rugby cricket tennis golf
        athletics olympic olympics medal race racing win victory defeat final semi-final
        stadium fans squad injury sprint marathon boxing title champion scored
    """,
    "entertainment": """
        film movie actor actress star singer album song music band concert tour festival
        award awards oscar grammy bafta celebrity television tv show series box office
        hollywood comedy drama director premiere chart
    """,
    "technology": """
        technology tech software app apps internet online digital computer smartphone phone
        device data cyber hacker hack ai artificial intelligence robot chip semiconductor
        broadband website platform users google apple microsoft amazon facebook meta
        network gadget video game games console
    """,
    "health": """
        health hospital patient doctor nurse nhs disease virus vaccine vaccination cancer
        treatment medical medicine drug surgery clinic illness pandemic outbreak infection
        mental care healthcare gp symptom diagnosis
    """,
    "science": """
        scientist research researcher study university laboratory experiment space nasa
        planet telescope astronomer physics chemistry biology species discovery journal
        fossil climate genetic dna
    """,
    "world": """
        foreign international united nations un nato embassy ambassador diplomat diplomatic
        summit treaty sanctions border refugee migrant asylum overseas global eu european
        bilateral negotiation
    """,
    "conflict": """
        war military army troop troops soldier attack attacks missile drone drones strike
        airstrike bomb bombing ceasefire invasion forces weapon weapons killed casualties
        fighting conflict rebel militant terror terrorist terrorism shelling frontline
        combat defence defense
    """,
    "culture": """
        culture art arts artist museum gallery exhibition book novel author writer poet
        poetry theatre literature library heritage history historian religion church
        faith festival
    """,
    "crime": """
        police crime criminal arrest arrested court trial judge jury guilty sentence
        sentenced prison jail murder fraud theft robbery suspect prosecutor charged
        investigation detective victim lawyer
    """,
    "education": """
        school schools pupil student teacher teaching university college education exam
        exams curriculum classroom tuition graduate
    """,
    "environment": """
        climate environment environmental emission emissions carbon pollution wildlife
        flood flooding drought wildfire conservation green renewable recycling plastic
        biodiversity weather storm
    """,
    "energy": """
        energy oil gas electricity power solar wind nuclear renewable fuel petrol grid
        pipeline coal utility
    """,
    "transport": """
        transport rail railway train trains bus buses road roads traffic airport flight
        flights bridge tram ferry motorway passenger passengers commuter driver vehicle
        transit route
    """,
}

#: Topic label -> the words that signal it.
SUBJECTS: dict[str, frozenset[str]] = {
    topic: frozenset(words.split()) for topic, words in _SUBJECT_WORDS.items()
}

_COUNTRIES = """
Afghanistan|Albania|Algeria|Andorra|Angola|Argentina|Armenia|Australia|Austria|Azerbaijan|
Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia|
Botswana|Brazil|Brunei|Bulgaria|Burkina Faso|Burundi|Cambodia|Cameroon|Canada|Chad|Chile|
China|Colombia|Congo|Costa Rica|Croatia|Cuba|Cyprus|Czech Republic|Denmark|Djibouti|Dominica|
Ecuador|Egypt|El Salvador|Eritrea|Estonia|Eswatini|Ethiopia|Fiji|Finland|France|Gabon|Gambia|
Georgia|Germany|Ghana|Greece|Grenada|Guatemala|Guinea|Guyana|Haiti|Honduras|Hungary|Iceland|
India|Indonesia|Iran|Iraq|Ireland|Israel|Italy|Ivory Coast|Jamaica|Japan|Jordan|Kazakhstan|
Kenya|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya|Liechtenstein|
Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|Mauritania|Mauritius|
Mexico|Moldova|Monaco|Mongolia|Montenegro|Morocco|Mozambique|Myanmar|Namibia|Nepal|
Netherlands|New Zealand|Nicaragua|Niger|Nigeria|North Korea|North Macedonia|Norway|Oman|
Pakistan|Palestine|Panama|Papua New Guinea|Paraguay|Peru|Philippines|Poland|Portugal|Qatar|
Romania|Russia|Rwanda|Saudi Arabia|Senegal|Serbia|Seychelles|Sierra Leone|Singapore|Slovakia|
Slovenia|Somalia|South Africa|South Korea|South Sudan|Spain|Sri Lanka|Sudan|Suriname|Sweden|
Switzerland|Syria|Taiwan|Tajikistan|Tanzania|Thailand|Togo|Tonga|Trinidad|Tunisia|Turkey|
Turkmenistan|Uganda|Ukraine|United Arab Emirates|United Kingdom|United States|Uruguay|
Uzbekistan|Venezuela|Vietnam|Yemen|Zambia|Zimbabwe|UK|US|USA|Britain|Great Britain|England|
Scotland|Wales|Northern Ireland|America|Gaza|West Bank|Crimea|Hong Kong|Greenland|Kurdistan
"""
#: Countries and nations, as usually written.
COUNTRIES: frozenset[str] = frozenset(
    name.strip() for name in _COUNTRIES.replace("\n", "").split("|") if name.strip()
)

#: Continents and regions news speaks of as places.
REGIONS: frozenset[str] = frozenset(
    """Europe|Asia|Africa|Antarctica|Arctic|Middle East|Latin America|South America|
    North America|Central America|Caribbean|Balkans|Baltic|Scandinavia|Pacific|Atlantic|
    Mediterranean|Gulf|Sahel|Caucasus|Central Asia|South Asia|South-East Asia|Southeast Asia|
    East Africa|West Africa|North Africa|Horn of Africa|Western Europe|Eastern Europe|
    Siberia|Kashmir|Donbas|Sahara|Himalayas|Amazon""".replace("\n", "").replace("    ", "")
    .split("|")
)

_DEMONYMS = """
Afghan:Afghanistan Albanian:Albania Algerian:Algeria Argentine:Argentina
Argentinian:Argentina Armenian:Armenia Australian:Australia Austrian:Austria
Azerbaijani:Azerbaijan Bangladeshi:Bangladesh Belarusian:Belarus Belgian:Belgium
Bolivian:Bolivia Bosnian:Bosnia Brazilian:Brazil British:UK Bulgarian:Bulgaria
Cambodian:Cambodia Cameroonian:Cameroon Canadian:Canada Chilean:Chile Chinese:China
Colombian:Colombia Congolese:Congo Croatian:Croatia Cuban:Cuba Cypriot:Cyprus Czech:Czech_Republic
Danish:Denmark Dutch:Netherlands Ecuadorian:Ecuador Egyptian:Egypt English:England
Eritrean:Eritrea Estonian:Estonia Ethiopian:Ethiopia Filipino:Philippines Finnish:Finland
French:France Georgian:Georgia German:Germany Ghanaian:Ghana Greek:Greece Haitian:Haiti
Hungarian:Hungary Icelandic:Iceland Indian:India Indonesian:Indonesia Iranian:Iran
Iraqi:Iraq Irish:Ireland Israeli:Israel Italian:Italy Jamaican:Jamaica Japanese:Japan
Jordanian:Jordan Kazakh:Kazakhstan Kenyan:Kenya Korean:South_Korea Kuwaiti:Kuwait
Latvian:Latvia Lebanese:Lebanon Libyan:Libya Lithuanian:Lithuania Malaysian:Malaysia
Malian:Mali Maltese:Malta Mexican:Mexico Moldovan:Moldova Mongolian:Mongolia
Moroccan:Morocco Nepalese:Nepal Nigerian:Nigeria Norwegian:Norway Pakistani:Pakistan
Palestinian:Palestine Peruvian:Peru Polish:Poland Portuguese:Portugal Qatari:Qatar
Romanian:Romania Russian:Russia Rwandan:Rwanda Saudi:Saudi_Arabia Scottish:Scotland
Senegalese:Senegal Serbian:Serbia Slovak:Slovakia Slovenian:Slovenia Somali:Somalia
Spanish:Spain Sudanese:Sudan Swedish:Sweden Swiss:Switzerland Syrian:Syria
Taiwanese:Taiwan Thai:Thailand Tunisian:Tunisia Turkish:Turkey Ugandan:Uganda
Ukrainian:Ukraine American:US Uruguayan:Uruguay Uzbek:Uzbekistan Venezuelan:Venezuela
Vietnamese:Vietnam Welsh:Wales Yemeni:Yemen Zambian:Zambia Zimbabwean:Zimbabwe
"""
#: People's and adjectival names of countries: "Ukrainian" -> "Ukraine".
DEMONYMS: dict[str, str] = {}
for _pair in _DEMONYMS.split():
    _adjective, _country = _pair.split(":")
    DEMONYMS[_adjective] = _country.replace("_", " ")

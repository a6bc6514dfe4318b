"""The people of the demo community: names, display names, handles and per-platform author
ids, and the members themselves (role by the 1 % rule, language, audience, one or two identities).
"""

from __future__ import annotations

import random
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from hearth.demo.generator.data import AUDIENCES, CHANNEL_POPULARITY, ChannelSpec

FIRST_FR = (
    "Marie",
    "Julie",
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Sarah",
    "Inès",
    "Pauline",
    "Élodie",
    "Sophie",
    "Claire",
    "Émilie",
    "Laura",
    "Anaïs",
    "Mathilde",
    "Océane",
    "Justine",
    "Lucie",
    "Aurélie",
    "Nathalie",
    "Isabelle",
    "Sandrine",
    "Céline",
    "Margaux",
    "Thomas",
    "Nicolas",
    "Julien",
    "Maxime",
    "Antoine",
    "Romain",
    "Hugo",
    "Mathieu",
    "Kévin",
    "Karim",
    "Yanis",
    "Alexandre",
    "Quentin",
    "Benoît",
    "François",
    "Sébastien",
    "Jérôme",
    "Olivier",
    "Théo",
    "Louis",
    "Mehdi",
    "Baptiste",
    "Florian",
    "Guillaume",
    "Stéphane",
    "Amine",
    "Noémie",
)
LAST_FR = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Benali",
    "Nguyen",
    "Tremblay",
)
FIRST_EN = (
    "Emma",
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Grace",
    "Sophie",
    "Chloe",
    "Hannah",
    "Megan",
    "Lucy",
    "Ellie",
    "Zoe",
    "Katie",
    "Sarah",
    "Jessica",
    "Rachel",
    "Priya",
    "Aisha",
    "Laura",
    "Rebecca",
    "Jennifer",
    "Ashley",
    "Madison",
    "Jack",
    "Oliver",
    "Harry",
    "George",
    "Noah",
    "Charlie",
    "Jacob",
    "Thomas",
    "James",
    "Liam",
    "Ryan",
    "Daniel",
    "Connor",
    "Tyler",
    "Owen",
    "Marcus",
    "Ethan",
    "Ben",
    "Sam",
    "Matt",
    "Chris",
    "Josh",
    "Kevin",
    "Raj",
    "Dylan",
)
LAST_EN = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Patel",
    "Khan",
    "Lewis",
    "Harris",
    "Martin",
    "Cooper",
    "King",
    "Lee",
    "Baker",
    "Hughes",
    "Murphy",
    "Kelly",
    "O'Brien",
    "Campbell",
    "Stewart",
    "Anderson",
    "Scott",
    "Miller",
    "Davis",
    "Garcia",
    "Rodriguez",
    "Moore",
    "Allen",
    "Young",
    "Hill",
    "Nguyen",
    "Mitchell",
    "Carter",
    "Turner",
    "Parker",
    "Collins",
    "Edwards",
    "Singh",
)
_NAME_DECOR = ("", "", "", "", "", " 🌸", " ✨", " 🌿", " ☕", " 🏳️‍🌈", " 🇫🇷", " 💡")


def ascii_fold(s: str) -> str:
    folded = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _display_name(first: str, last: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.55:
        name = f"{first} {last}"
    elif r < 0.75:
        name = f"{first} {last[0]}."
    elif r < 0.85:
        name = f"{first.lower()} {last.lower()}"
    elif r < 0.93:
        name = first
    else:
        name = f"{first} {last.upper()}"
    return name + rng.choice(_NAME_DECOR)


def _handle(first: str, last: str, rng: random.Random) -> str:
    f, la = ascii_fold(first), ascii_fold(last)
    return rng.choice(
        (
            f"{f}.{la}",
            f"{f}_{la[:1]}{rng.randint(1, 99)}",
            f"{f}{la}{rng.randint(70, 99)}",
            f"{la}.{f}",
            f"the_{f}",
            f"{f}_{la}",
            f"{f}{rng.randint(100, 9999)}",
            f"{f[:1]}{la}",
            f"{f}.{la[:3]}_",
            f"x{f}x",
        )
    )


def _author_external_id(platform: str, rng: random.Random) -> str:
    if platform == "facebook":
        return str(rng.randrange(10**14, 10**15))
    if platform == "instagram":
        return str(rng.randrange(10**9, 10**11))
    if platform == "x":
        return str(rng.randrange(10**17, 10**18))
    if platform == "forum":
        return f"u{rng.randrange(2, 10**6)}"
    return "rv-" + "".join(rng.choice("0123456789abcdef") for _ in range(10))


class _IdentityFactory:
    """Creates member identities with handles and external ids unique per channel."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.handles: dict[str, set[str]] = defaultdict(set)
        self.ids: dict[str, set[str]] = defaultdict(set)

    def create(
        self, channel: ChannelSpec, first: str, last: str, display_name: str
    ) -> dict[str, str]:
        rng = self.rng
        handle = _handle(first, last, rng)
        while handle in self.handles[channel.slug] or handle == channel.brand_handle:
            handle = f"{handle}{rng.randint(0, 9)}"
        self.handles[channel.slug].add(handle)
        ext = _author_external_id(channel.platform, rng)
        while ext in self.ids[channel.slug] or ext == channel.brand_author_id:
            ext = _author_external_id(channel.platform, rng)
        self.ids[channel.slug].add(ext)
        return {"external_id": ext, "handle": handle, "display_name": display_name}


@dataclass(slots=True)
class Person:
    key: str
    role: str  # creator | contributor | lurker
    lang: str
    audience: int  # index in data.AUDIENCES
    first: str
    identities: list[tuple[int, dict[str, str]]]  # (channel index, author dict)
    is_bot: bool = False


def make_persons(rng: random.Random, members: int, channels: Sequence[ChannelSpec]) -> list[Person]:
    """`members` people: 1 % creators and 9 % contributors (a few of them spam bots) active on
    the social channels, the rest lurkers anywhere; some creators and contributors also have an
    identity on a second channel."""
    factory = _IdentityFactory(rng)
    n = members
    order = list(range(n))
    rng.shuffle(order)
    n_creators = max(1, round(n * 0.01))
    n_contrib = max(1, round(n * 0.09))
    roles = ["lurker"] * n
    for i in order[:n_creators]:
        roles[i] = "creator"
    for i in order[n_creators : n_creators + n_contrib]:
        roles[i] = "contributor"
    social = [s for s in range(len(channels)) if channels[s].platform != "reviews"]
    persons: list[Person] = []
    for i in range(n):
        lang = "fr" if rng.random() < 0.5 else "en"
        audience = rng.choices(
            [a for a, (lg, _, _) in enumerate(AUDIENCES) if lg == lang],
            weights=[w for lg, _, w in AUDIENCES if lg == lang],
        )[0]
        first = rng.choice(FIRST_FR if lang == "fr" else FIRST_EN)
        last = rng.choice(LAST_FR if lang == "fr" else LAST_EN)
        display = _display_name(first, last, rng)
        pool = range(len(channels)) if roles[i] == "lurker" else social
        weights = [
            CHANNEL_POPULARITY[channels[c].slug] * dict(channels[c].lang_mix)[lang] for c in pool
        ]
        primary = rng.choices(list(pool), weights=weights)[0]
        chans = [primary]
        link_rate = {"creator": 0.3, "contributor": 0.12}.get(roles[i], 0.0)
        if rng.random() < link_rate:
            others = [c for c in social if c != primary]
            chans.append(rng.choice(others))
        identities = [(c, factory.create(channels[c], first, last, display)) for c in chans]
        persons.append(
            Person(
                key=f"person-{i:05d}",
                role=roles[i],
                lang=lang,
                audience=audience,
                first=first,
                identities=identities,
            )
        )
    contributors = [p for p in persons if p.role == "contributor"]
    for p in rng.sample(contributors, min(len(contributors), max(1, n // 1500))):
        p.is_bot = True
    return persons

/**
 * French cues of the rules, written on folded text (lower case, no accents,
 * straight apostrophes). Each cue names the evidence it gives; `rules.ts`
 * turns firings into labels and the trained model reads them as features.
 * Weights are log-odds-like nudges: 1 is a clear signal, 0.5 a hint.
 */
import type { LabelName, LabelValue } from '../labels.js';

export type CueEffects = { [L in LabelName]?: Partial<Record<LabelValue<L>, number>> };

export interface Cue {
  name: string;
  /** Alternatives of a regular expression, matched at word starts. */
  terms: string;
  effects: CueEffects;
}

const SERVICE = "(?:internet|connexion|co|reseau|tele|tv|telephone|ligne|wifi|wi-fi|signal|tonalite|box|fibre|adsl|4g|5g|data|appels?|service)";
const DURATION = '(?:\\d+|deux|trois|quatre|cinq|six|sept|huit|dix|quinze|plusieurs|des) (?:jours?|semaines?|mois|ans?)';

export const CUES: readonly Cue[] = [
  // What went wrong.
  {
    name: 'outage',
    terms: `en panne|panne|pannes|coupure|coupee?s?|hs|hors service|en rade|down|plus d'?${SERVICE}|pas d'?${SERVICE}|sans ${SERVICE}|aucune? ${SERVICE}|(?:ne )?(?:fonctionne|marche|repond|s'allume|capte|charge) (?:pas|plus|toujours pas)|impossible d[e'] ?(?:se |me )?(?:connecter|telephoner|appeler|regarder|acceder|utiliser)|clignote|voyant rouge|etape \\d|rien ne (?:marche|fonctionne)|ne passe (?:pas|plus)|plus rien`,
    effects: { is_claim: { oui: 1.6 }, incident: { panne_technique: 1.4 }, urgence: { haute: 0.6, critique: 0.8 }, sentiment: { negatif: 0.5 } },
  },
  {
    name: 'degradation',
    terms: "lente?s?|lenteurs?|debit (?:tres |trop )?(?:faible|lent|pourri|catastrophique|minable|ridicule|nul|bas)|rame|instable|instabilite|deconnect\\w*|decroch\\w*|saute|sautent|freeze|lag|latence|ralenti\\w*|micro-?coupures?|intermittent\\w*|pixelis\\w*|grésille|gresille|qualite (?:mediocre|pourrie|nulle|catastrophique)|coupe (?:sans arret|tout le temps|souvent)|se coupe",
    effects: { is_claim: { oui: 1.3 }, incident: { degradation_service: 1.6 }, urgence: { moyenne: 0.4, haute: 0.6 }, sentiment: { negatif: 0.5 } },
  },
  {
    name: 'billing_problem',
    terms: "factur\\w* (?:erronee|fausse|incorrecte|abusive)|trop percu|preleve\\w* (?:deux|2|plusieurs) fois|double prelevement|prelev\\w*|rembourse\\w*|surfactur\\w*|frais de resiliation|hausse|augment\\w*|arnaque\\w*|vol\\b|voleurs?|debite\\w*|facture\\w*|paye|payer|payé|impaye\\w*",
    effects: { incident: { facturation: 1.5 }, topics: { facture: 1.5 }, is_claim: { oui: 0.6 }, sentiment: { negatif: 0.3 } },
  },
  {
    name: 'support_failure',
    terms: "injoignable|personne ne (?:me )?repond|aucune reponse|sans (?:aucune )?reponse|pas de (?:nouvelles?|reponse|retour)|aucune nouvelle|jamais (?:eu de )?(?:reponse|rappel)|toujours (?:pas|rien|aucun\\w*) (?:de )?(?:nouvelles?|reponse|retour|technicien|rdv|rendez-vous)|technicien (?:n'est )?(?:jamais|pas) (?:venu|passe)|rdv (?:annule|reporte)|rendez-vous (?:annule|reporte)|lapin|relance\\w*|ticket|dossier|reclamation\\w*|mise en demeure|courriers?|recommande|on me (?:balade|renvoie)|renvoie de service en service|parler a un humain",
    effects: { is_claim: { oui: 1.2 }, incident: { processus_sav: 1.5 }, topics: { sav: 1.2 }, urgence: { haute: 0.5 }, sentiment: { negatif: 0.5 } },
  },
  {
    name: 'support_topic',
    terms: "service client|sav|hotline|3244|1044|conseiller\\w*|technicien\\w*|intervention|rdv|rendez-vous|colis|livraison|livre|retourner|renvoyer|resili\\w*|portabilit\\w*|rio|changement d'offre|demenag\\w*|espace abonne|identifiants?|mot de passe|joindre|assistance|boutique|free center|support",
    effects: { topics: { sav: 1 }, incident: { processus_sav: 0.6 } },
  },
  {
    name: 'network',
    terms: "antennes?|couverture|zone blanche|pylone|relais|deploi\\w*|deploy\\w*|raccord\\w*|eligib\\w*|panne (?:generale|geante|nationale|massive)|toute la ville|tout le quartier|quartier|region|departement|dans (?:le |l')?\\d{2}\\b|reseau|reseaux|nro|pm\\b|armoire",
    effects: { topics: { reseau: 1.1 }, incident: { infrastructure_reseau: 1.1 } },
  },
  {
    name: 'widespread',
    terms: "secteur|zone|ville|commune|village|national\\w*|signalements?|alentours|rue|\\(\\d{2,3}\\)|\\d{5}|qui d'autre|moi aussi|pareil|la meme (?:chose )?pour moi|chez moi aussi|tout le monde|d'autres (?:abonnes|clients|personnes|utilisateurs)|voisins?|downdetector|totalbug",
    effects: { topics: { reseau: 0.6 }, incident: { infrastructure_reseau: 0.6 } },
  },
  // What it is about.
  {
    name: 'tv_topic',
    terms: "tv|tele|television|chaines?|replay|player|decodeur|canal\\+?|netflix|prime video|disney|bein|rmc|match|programmes?|oqee|molotov|tnt|4k|film|serie",
    effects: { topics: { tv: 1.4 } },
  },
  {
    name: 'mobile_topic',
    terms: "forfait|free mobile|mobile|sim|esim|e-sim|carte sim|portable|sms|mms|itinerance|roaming|iphone|android|smartphone|messagerie vocale|repondeur",
    effects: { topics: { mobile: 1.4 } },
  },
  {
    name: 'home_internet_topic',
    terms: "fibre|box|freebox|internet|wifi|wi-fi|adsl|vdsl|debit|connexion|routeur|ethernet|repeteur|server|delta|pop|ultra|revolution|ping|ipv[46]|ip fixe",
    effects: { topics: { fibre: 1.1 } },
  },
  {
    name: 'price_topic',
    terms: "prix|tarifs?|euros?|€|\\d+(?:[.,]\\d+)? ?e(?:/mois)?\\b|paiement|frais|promo\\w*|offre|abonnement|gratuit\\w*|mois offerts?",
    effects: { topics: { facture: 0.7 } },
  },
  // How fast to act.
  {
    name: 'long_duration',
    terms: `depuis ${DURATION}|ca fait ${DURATION}|cela fait ${DURATION}|${DURATION} (?:sans|que)|depuis (?:hier|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|le \\d+|ce week-end|une semaine|un mois)`,
    effects: { urgence: { critique: 0.9, haute: 0.5 }, is_claim: { oui: 0.6 } },
  },
  {
    name: 'vital_need',
    terms: "teletravail|travailler|travail|boulot|urgence|urgent|medical|medecin|hopital|malade|personne agee|handicap\\w*|entreprise|professionnel\\w*|mes clients|examens?|cours en ligne|bebe",
    effects: { urgence: { critique: 1 } },
  },
  {
    name: 'escalation',
    terms: "encore (?:une )?(?:panne|coupure)|de nouveau|a nouveau|tous les jours|chaque (?:jour|soir|semaine)|plusieurs fois|(?:je vais|je compte|je veux|envie de) (?:partir|resilier|changer|quitter)|quitter free|changer d'operateur|avocat|plainte|justice|tribunal|ufc|60 millions|dedommag\\w*|compensation|geste commercial|inadmissible|inacceptable",
    effects: { urgence: { haute: 1 }, is_claim: { oui: 0.7 }, sentiment: { negatif: 0.8 } },
  },
  // The author's mood.
  {
    name: 'anger',
    terms: "nuls?|nulle|lamentable|honte\\w*|scandal\\w*|ras le bol|marre|pire|catastroph\\w*|naze|pourri\\w*|merde\\w*|putain|bordel|degout\\w*|decu\\w*|deception|colere|enerv\\w*|agac\\w*|escro\\w*|incompeten\\w*|foutage|se moque\\w*|vous moquez|n'importe quoi|abus\\w*|horrible|mediocre|minable|galere\\w*|ridicule|serieux \\?|grrr\\w*|mdr|ptdr|pfff?\\w*|wtf|calvaire|cauchemar|inutile|debile|ridicule|blague|lol",
    effects: { sentiment: { negatif: 1.3 } },
  },
  {
    name: 'praise',
    terms: "merci (?:beaucoup|bcp|pour|a vous|a toi|infiniment|free)|bravo|super|genial\\w*|top|excellent\\w*|parfait\\w*|content\\w*|satisfait\\w*|ravie?s?|heureux|heureuse|j'adore|adore|efficace|nickel|felicitations|chapeau|impeccable|recommande|au top|magnifique|enfin|rapide|merci",
    effects: { sentiment: { positif: 1.2 } },
  },
  {
    // Rarer and stronger than `praise`: joy and enthusiasm, which mark most positive tweets (partners' and the operator's too).
    name: 'enthusiasm',
    terms: "fiere?s?|heureux|heureuse|ravie?s?|joie|bonheur|plaisir|genial\\w*|incroyable|magnifique|merveill\\w*|formidable|sympa|cool|j'adore|on adore|j'aime|amoureux|felicit\\w*|waouh|wow|youpi\\w*|bonne nouvelle|cadeau|partenaire officiel|(?:fonctionne|marche) (?:tres bien|parfaitement|nickel)|merci (?:beaucoup|infiniment|bcp)|smile|profitez",
    effects: { sentiment: { positif: 0.8 } },
  },
  {
    name: 'negated_praise',
    terms: "(?:pas|plus|jamais|guere) (?:tres |du tout |vraiment )?(?:content|satisfait|top|terrible|genial|super|rapide|efficace|serieux|normal|possible|pro)\\w*|n'est (?:pas|plus) (?:normal|acceptable|possible|serieux)",
    effects: { sentiment: { negatif: 1.6, positif: -2.5 }, is_claim: { oui: 0.4 } },
  },
  {
    name: 'no_problem',
    terms: "sans (?:aucune? )?(?:coupure|souci|probleme|panne|bug)|aucune? (?:coupure|souci|probleme|panne|bug)s?|pas (?:de|un) (?:souci|probleme|bug)|rien a (?:dire|redire)|tout (?:fonctionne|marche|remarche|roule)|(?:fonctionne|marche) (?:parfaitement|nickel|tres bien|bien)|probleme (?:regle|resolu)|resolu",
    effects: { is_claim: { non: 2.2 }, sentiment: { positif: 0.8 }, incident: { panne_technique: -1.4 } },
  },
  {
    name: 'question',
    terms: "comment|pourquoi|quand|est-ce que|est ce que|quel(?:le)?s?|savez-vous|pouvez-vous|possible de|svp|s'il vous plait",
    effects: { urgence: { moyenne: 0.5 } },
  },
  {
    name: 'first_person',
    terms: "je|j'|ma|mon|mes|moi|chez moi|nous|notre|nos|on a|on n'a",
    effects: { is_claim: { oui: 0.4 } },
  },
  {
    name: 'announcement',
    terms: "decouvrez|profitez|disponible des|nouveau|nouvelle offre|nouveaute|annonce|lance|arrive sur|en exclusivite|rendez-vous sur|retrouvez|communique|bonne nouvelle|a partir du|des aujourd'hui|bientot",
    effects: { is_claim: { non: 1 }, sentiment: { neutre: 0.6 } },
  },
];

/** Sentiment-bearing emojis, read from `CleanedTweet.emojis`. */
export const NEGATIVE_EMOJIS = new Set(['😡', '🤬', '😤', '😠', '💩', '👎', '😭', '😢', '😩', '😫', '🙄', '😒', '🤡', '😞', '😔', '🥵', '🤦', '🤦‍♂️', '🤦‍♀️', '😑', '🖕', '💀', '☠️', '😖', '😣']);
export const POSITIVE_EMOJIS = new Set(['🙏', '❤️', '😍', '👍', '😊', '🥰', '👏', '🎉', '😀', '😁', '😃', '💪', '✨', '🤩', '😎', '💯', '🥳', '❤', '💙', '💚', '😘', '☺️', '🙂', '👌']);

/** The operator's own accounts: their posts are announcements and support redirects. */
export const OPERATOR_ACCOUNTS = new Set(['freebox', 'free', 'free_1337', 'groupeiliad', 'freemobile', 'free_mobile', 'freeboxnews', 'free_assistance']);

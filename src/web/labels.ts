/** How the page names the labels' values (the values themselves stay as LABELS.md writes them). */
import type { LabelName } from './types';

export const LABEL_TITLES: Record<LabelName, string> = {
  sentiment: 'Sentiment',
  is_claim: 'Réclamation',
  urgence: 'Urgence',
  topics: 'Sujet',
  incident: 'Incident',
  label_source: 'Source des étiquettes',
};

const VALUE_NAMES: Record<string, string> = {
  negatif: 'Négatif',
  neutre: 'Neutre',
  positif: 'Positif',
  oui: 'Oui',
  non: 'Non',
  faible: 'Faible',
  moyenne: 'Moyenne',
  haute: 'Haute',
  critique: 'Critique',
  fibre: 'Fibre / box',
  mobile: 'Mobile',
  tv: 'TV',
  facture: 'Facture',
  sav: 'SAV',
  reseau: 'Réseau',
  autre: 'Autre',
  information: 'Information',
  panne_technique: 'Panne technique',
  degradation_service: 'Dégradation de service',
  facturation: 'Facturation',
  processus_sav: 'Processus SAV',
  infrastructure_reseau: 'Infrastructure réseau',
  autre_reclamation: 'Autre réclamation',
  'rules+model': 'Règles + modèle',
  human: 'Correction humaine',
  llm: 'LLM',
  none: 'Aucune (ligne en erreur)',
};

export const valueName = (value: string): string => VALUE_NAMES[value] ?? value;

export const MODE_NAMES: Record<string, string> = {
  fast: 'Rapide (règles + modèle)',
  balanced: 'Équilibré (+ LLM sur un échantillon)',
  precise: 'Précis (+ LLM sur tous les tweets)',
};

export const PHASE_NAMES: Record<string, string> = {
  read_clean: 'Lecture et nettoyage',
  classify: 'Nettoyage, règles + modèle',
  llm: 'LLM',
  write: 'Enregistrement',
};

export const percent = (part: number, whole: number): string => (whole === 0 ? '0 %' : `${((100 * part) / whole).toFixed(1).replace('.', ',')} %`);
export const integer = (value: number): string => value.toLocaleString('fr-FR');

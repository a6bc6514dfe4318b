"""French lexicons, curated by hand for Hearth (no dataset text).

Format: entries separated by whitespace; words of a multi-word entry are joined by "_".
Matched after normalisation: accents folded ("bâtard" = "batard"), elisions split
("t'es" = "t es", "j'vais" = "j vais"), leetspeak and repeated letters collapsed.
"""

INSULT = """
connard connards connasse connasses conne connes salaud salauds salopard salopards salope salopes
enfoire enfoires enfoiree encule encules enculee batard batards batarde abruti abrutis
abrutie debile debiles cretin cretins cretine imbecile imbeciles idiot idiots idiote gogol gogols mongol mongols
attarde attardes attardee teube tebe trouduc trou_du_cul trou_de_balle fils_de_pute fdp ta_gueule
ferme_ta_gueule ftg ta_mere_la_pute nique_ta_mere ntm va_te_faire_foutre va_te_faire_enculer
bouffon bouffons bouffonne boloss bolos cassos merdeux merdeuse sous_merde raclure raclures
pourriture enflure enflures tocard tocards tocarde pouffiasse pouffiasses grognasse
garce garces petasse petasses blaireau blaireaux guignol guignols neuneu
grosse_vache grosse_truie gros_porc sale_porc lopette couille_molle baltringue
sac_a_merde tete_de_con tete_de_noeud sale_chien pute putes espece_de_con pauvre_con pauvre_conne
bande_de_cons bande_de_connards
sale_con sale_conne gros_con grosse_conne petit_con petite_conne vieux_con fils_de_chien nique_ta_race ntr
va_chier va_te_faire_voir tete_de_cul face_de_rat face_de_pet mange_merde suceur suceuse suceurs
pauvre_type pauvre_merde pauvre_tache espece_d_abruti espece_d_idiot espece_de_debile gogole gogoles
triso trisos debile_mental attarde_mental nulos looser loser losers bouffonne pouffe pouffes
catin chiennasse radasse salopes gros_lard grosse_baleine gros_tas grosse_truie
sale_gros sale_grosse sale_gamin sale_gamine sale_bouffon sale_merde sale_pute ferme_la fermez_la
la_ferme ta_geule tg casse_toi cassez_vous degage degagez personne_ne_t_aime personne_t_aime
tu_pues tu_sers_a_rien tu_sers_a_rien_du_tout t_sers_a_rien abrutie_finie con_comme_un_balai
connar conar konar konnard connase conasse conasses batar batars enkule enkules salo
fille_de_pute fils_de_putain fdpp enfant_de_salope nique_ta_mere_la_pute nik_ta_mere niktamere ntmr
va_niquer_ta_mere vas_te_faire_foutre va_te_faire_mettre vtff tepu teub poufiasse petass
ta_yeule ferme_ta_yeule ferme_ta_bouche ta_gueule_sale ta_mere_la_chienne
tas_de_graisse gros_tas_de_graisse boule_de_graisse gros_plein_de_soupe sac_d_os planche_a_pain
face_de_pizza tronche_de_cake sale_tronche sale_gueule tete_de_gland t_as_vu_ta_tete t_as_vu_ta_gueule
regarde_ta_gueule va_maigrir va_faire_un_regime sale_victime sale_victimes espece_de_victime
t_es_qu_une_victime sale_fragile bande_de_fragiles espece_de_fragile t_es_qu_un_fragile sale_pedo
personne_veut_de_toi personne_ne_veut_de_toi on_veut_plus_de_toi on_ne_veut_plus_de_toi
on_veut_pas_de_toi on_ne_veut_pas_de_toi tout_le_monde_te_deteste tout_le_monde_te_hait
tout_le_monde_se_moque t_as_pas_d_amis t_as_aucun_ami t_as_pas_de_potes tu_n_as_pas_d_amis
degage_d_ici barre_toi barrez_vous va_t_en fous_le_camp foutez_le_camp tu_me_degoutes
tu_me_fais_vomir tu_fais_pitie t_es_une_erreur t_es_une_honte vous_me_degoutez vous_me_faites_vomir
pas_de_cerveau aucun_cerveau pas_de_cervelle cervelle_de_moineau cerveau_de_moineau qi_de_moule qi_d_huitre
t_es_pas_intelligent t_es_pas_intelligente tu_es_pas_intelligent tu_es_pas_intelligente
regarde_toi_dans_un_miroir regarde_toi_dans_la_glace achete_toi_un_miroir t_es_jamais_vu
sale_folle espece_de_folle sale_jalouse sale_jaloux ta_mere_la_salope ta_mere_la_grosse ta_mere_suce
nique_ta_daronne ta_daronne_la_pute nique_ta_soeur ta_soeur_la_pute ta_soeur_la_salope
suce_des_bites suceur_de_bites suceuse_de_bites va_sucer va_te_faire_sucer
"""

INSULT_ADJ = """
nul nuls nulle nulles naze nazes con conne cons bete betes stupide stupides moche moches gros grosse laid laide
debile idiot idiote ridicule minable minables pathetique pitoyable incompetent incompetents incapable incapables
degueulasse pourri pourris pourrie clown clowns
obese obeses handicape handicapee attarde attardee demeure demeuree mongol gogol triso immonde
repugnant repugnante hideux hideuse degueu conasse cinglé cingle tare taree
autiste autistes trisomique mongole cheum kon inutile inutiles insignifiant insignifiante
puant puante boutonneux boutonneuse difforme mal_baise mal_baisee frigide ignoble
"""
PERSON_PREFIX = """
t_es tu_es t_es_trop tu_es_trop t_es_vraiment vous_etes vous_etes_tous vous_etes_vraiment espece_de
pauvre sale t_es_qu_un t_es_une tu_es_une tu_es_un t_es_un vous_etes_des bande_de gros grosse
t_es_qu_une tu_n_es_qu_un tu_n_es_qu_une t_es_juste t_es_tellement tu_es_tellement vous_etes_trop
t_es_vraiment_trop t_es_le_plus t_es_la_plus vous_etes_que_des vous_n_etes_que_des espece_d
sale_petit sale_petite t_es_un_gros t_es_une_grosse t_es_qu_un_gros t_es_qu_une_grosse sal
tes_trop tes_vraiment tes_qu_un tes_qu_une tes_un tes_une
"""

# Nouns that insult only when aimed at someone ("t'es un porc", "espèce de dinde", "sale rat"): on
# their own they are animals, food or ordinary words ("ma chienne", "les ordures", "brandade de morue").
INSULT_NOUN = """
porc porcs truie truies dinde dindes boulet boulets thon cochon cochonne rat rats chien chienne chiennes
morue morues trainee trainees ordure ordures baleine boudin laideron mochete andouille nouille cruche
gourde buse ane clochard clocharde clodo schlag puceau puceaux vaurien minus nain naine larve parasite
parasites balance mytho chomeur plouc beauf bouseux pecore emmerdeur emmerdeuse psychopathe cas_social
folle
"""
NOUN_PREFIX = """
t_es_un t_es_une tu_es_un tu_es_une t_es_qu_un t_es_qu_une tu_n_es_qu_un tu_n_es_qu_une espece_de espece_d
sale sales vous_etes_des vous_etes_que_des bande_de t_es_vraiment_un t_es_vraiment_une t_es_juste_un
t_es_juste_une t_es_un_gros t_es_une_grosse t_es_un_sale t_es_une_sale t_es_un_vrai t_es_une_vraie
t_es_un_pauvre t_es_une_pauvre t_es_qu_un_gros t_es_qu_une_grosse t_es_qu_un_sale t_es_qu_une_sale
espece_de_gros espece_de_grosse sale_gros sale_grosse sale_petit sale_petite sal tes_un tes_une
tes_qu_un tes_qu_une
"""

HATE = """
bougnoule bougnoules bicot bicots negro negros negre negres negresse youpin youpins youtre youtres
pede pedes pd tapette tapettes tarlouze tarlouzes tafiole tafioles gouine gouines fiotte fiottes
bamboula bamboulas chinetoque chinetoques niakoue niakoues sale_raton sales_ratons ratonnade crouille crouilles
sale_arabe sale_arabes sale_noir sale_noirs sale_juif sale_juifs sale_musulman sale_musulmans
sale_race sale_pd sale_pede sale_immigre sale_migrant sales_migrants sale_rom sales_roms sale_negre
retourne_dans_ton_pays retournez_dans_votre_pays rentre_chez_toi rentrez_chez_vous
sous_homme sous_hommes vermine mongolien mongoliens heil_hitler sieg_heil
pedale pedales sale_pedale sale_homo sale_gay sale_gouine sale_tapette sale_negro sale_bougnoule
sale_chinois sale_noire sale_arabe_de_merde sale_juive sale_musulmane sale_blanc sale_bamboula
bougnoul bougnouls sale_bicot negros_de_merde rentre_dans_ton_pays retourne_chez_toi
retourne_en_afrique les_arabes_dehors les_noirs_dehors les_juifs_dehors
chintok chintoks chinetok chinetoks sale_feuj sale_youpin youpine youpines sale_noich sale_renoi
sale_rebeu sale_beur sale_bride sales_brides sale_macaque espece_de_macaque sale_singe
espece_de_singe sale_asiat sale_melon sale_romano sale_manouche sale_gitan sale_babtou sale_toubab
sale_chinetoque les_musulmans_dehors les_migrants_dehors sale_race_de
tantouze tantouzes tarlouse fiote fiotes travelo travelos sale_travelo sale_trav sale_trans
sale_lesbienne sale_fiotte sale_tarlouze
retourne_a_la_cuisine retourne_dans_ta_cuisine toutes_des_putes toutes_des_salopes
feminazi feminazie feminazis
"""

THREAT = """
je_vais_te_tuer j_vais_te_tuer je_vais_te_buter j_vais_te_buter je_te_tue je_vais_te_crever
je_vais_te_defoncer j_vais_te_defoncer je_vais_te_frapper je_vais_t_eclater je_vais_te_niquer
on_va_te_retrouver on_va_te_tuer on_va_te_buter tu_vas_mourir tu_vas_crever va_crever va_mourir
suicide_toi tue_toi pends_toi va_te_pendre je_sais_ou_tu_habites
je_sais_ou_tu_vis tu_vas_le_regretter fais_gaffe_a_toi je_vais_te_violer
te_violer egorger je_vais_t_egorger on_va_vous_egorger bruler_vifs mort_aux
t_es_mort vous_etes_morts envoie_des_nudes montre_tes_seins suce_moi
je_vais_te_casser_la_gueule je_vais_te_peter_la_gueule on_va_te_casser_la_gueule on_va_te_defoncer
je_vais_te_massacrer je_vais_te_faire_la_peau on_va_te_faire_la_peau t_es_un_homme_mort
je_vais_te_retrouver on_va_te_trouver attends_que_je_te_trouve je_vais_te_cogner je_vais_te_tabasser
on_va_te_tabasser je_vais_te_casser_les_dents va_te_suicider suicide_toi_stp tu_merites_de_mourir
tu_devrais_mourir tu_devrais_crever va_te_jeter_d_un_pont jette_toi_d_un_pont tu_merites_de_crever
je_vais_te_bruler on_va_te_bruler je_vais_te_planter je_vais_te_poignarder crevez_tous
allez_crever aller_crever creve_sale creve_en_enfer creve_connard creve_salope creve_batard tu_peux_crever
vous_pouvez_crever que_tu_creves j_espere_que_tu_creves j_espere_que_tu_vas_crever j_espere_que_tu_vas_mourir
je_te_souhaite_de_mourir je_te_souhaite_de_crever va_te_tuer tu_devrais_te_tuer tu_devrais_te_suicider
tu_devrais_te_pendre suicides_toi sucide_toi va_te_suicide tue_toi_stp pends_toi_stp kys
personne_te_regrettera personne_ne_te_regrettera le_monde_serait_mieux_sans_toi ouvre_toi_les_veines
coupe_toi_les_veines saute_par_la_fenetre jette_toi_par_la_fenetre jette_toi_sous_un_train va_te_noyer
noie_toi tu_merites_pas_de_vivre tu_ne_merites_pas_de_vivre tu_meriterais_de_mourir
t_aurais_jamais_du_naitre tu_aurais_jamais_du_naitre tu_n_aurais_jamais_du_naitre
je_vais_te_taper j_vais_te_taper j_vais_te_frapper j_vais_te_niquer je_vais_te_peter_les_dents
je_vais_t_eclater_la_tete j_vais_t_eclater je_vais_t_exploser j_vais_t_exploser je_vais_te_faire_mal
on_va_te_faire_mal je_vais_te_faire_du_mal tu_vas_prendre_cher je_vais_te_detruire on_va_te_detruire
je_vais_te_pourrir_la_vie on_va_te_pourrir_la_vie je_vais_te_fumer on_va_te_fumer j_vais_te_crever
je_vais_te_saigner je_vais_t_etrangler je_vais_te_noyer une_balle_dans_la_tete on_sait_ou_tu_habites
je_sais_ou_t_habites je_connais_ton_adresse on_connait_ton_adresse on_t_attend_a_la_sortie
je_t_attends_a_la_sortie gare_a_toi tu_vas_me_le_payer
je_vais_diffuser_tes_photos je_vais_balancer_tes_photos je_vais_publier_tes_photos
tout_le_monde_verra_tes_photos envoie_tes_nudes envoie_nude montre_ton_cul suce_ma_bite
je_vais_te_baiser je_veux_te_baiser viens_me_sucer je_te_fais_exploser je_te_fait_exploser
je_vais_te_faire_exploser on_va_te_coudre_la_bouche je_vais_te_defigurer
"""

# Chat spellings of "je vais te …" ("j'vais", "jvais", "jvai"): every threat is listed in each.
THREAT += "\n".join(
    e.replace("je_vais_", v, 1)
    for e in THREAT.split()
    if e.startswith("je_vais_")
    for v in ("j_vais_", "jvais_", "jvai_", "je_vai_")
)

PROFANITY = """
merde putain ptn bordel chier fait_chier fais_chier foutre nique niquer couille couilles chiant
chiante emmerde emmerder emmerdes fout foutu foutue
merdique chiotte chiottes putain_de bordel_de_merde ptain
"""

CRITICISM = """
nul naze pourri pourrie inadmissible honteux honteuse scandaleux scandaleuse arnaque arnaques arnaqueur
remboursement rembourser bug bugs beug plante plantage lent lente decu decue decus decevant decevante
catastrophique catastrophe inutilisable inacceptable lamentable minable minables pire honte
n_importe_quoi jamais_plus escroquerie galere ras_le_bol marre panne retard annule
"""

# Un service en échec, dit sans mot d'émotion ("toujours pas reçu ma commande", "vol annulé",
# "impossible de me connecter"): négatif pour un community manager. Générique (livraison, applis,
# appareils, télécoms, banques, transports) ; les problèmes résolus ne sont pas listés.
SERVICE_FAILURE = """
jamais_recu jamais_recue toujours_pas_recu toujours_pas_recue toujours_rien_recu rien_recu pas_recu
pas_recue pas_encore_recu jamais_arrive jamais_arrivee toujours_pas_arrive toujours_pas_arrivee
jamais_ete_livre jamais_ete_livree pas_ete_livre pas_ete_livree non_livre non_livree non_recu
colis_perdu commande_perdue bagage_perdu valise_perdue livraison_ratee pas_ete_rembourse
pas_ete_remboursee toujours_pas_rembourse jamais_rembourse toujours_pas_de_remboursement
toujours_pas_de_reponse toujours_pas_de_nouvelles toujours_rien en_attente_de_remboursement
j_attends_toujours j_attends_depuis toujours_en_attente en_attente_depuis attente_interminable
personne_ne_repond personne_repond aucune_reponse pas_de_reponse sans_reponse sans_nouvelles
aucune_nouvelle aucun_retour injoignable injoignables impossible_de_joindre impossible_de_vous_joindre
impossible_de_me_connecter impossible_de_se_connecter impossible_d_acceder impossible_de_payer
impossible_de_commander impossible_de_telecharger impossible_d_ouvrir impossible_de_valider
j_arrive_pas_a_me_connecter n_arrive_pas_a_me_connecter n_arrive_plus_a j_arrive_plus_a
ne_marche_plus marche_plus ne_fonctionne_plus fonctionne_plus ne_marche_pas marche_pas
ne_fonctionne_pas fonctionne_pas plante_tout_le_temps plante_sans_arret n_arrete_pas_de_planter
arrete_pas_de_planter ne_charge_pas ne_charge_plus ne_s_ouvre_pas ne_s_ouvre_plus s_ouvre_plus
ne_s_allume_plus ne_s_allume_pas ecran_noir reste_bloque compte_bloque compte_suspendu carte_bloquee
paiement_refuse paiement_echoue echec_de_paiement echec_du_paiement preleve_deux_fois debite_deux_fois
facture_deux_fois double_prelevement frais_caches prelevement_abusif message_d_erreur code_erreur
erreur_de_connexion vol_annule train_annule train_supprime commande_annulee rendez_vous_annule annule
annulee en_retard encore_en_retard toujours_en_retard retarde heures_de_retard minutes_de_retard
jours_de_retard pas_de_reseau plus_de_reseau aucun_reseau pas_de_connexion plus_de_connexion
plus_d_internet pas_d_internet coupure coupure_internet en_panne toujours_en_panne encore_en_panne
hors_service service_indisponible site_inaccessible inaccessible en_rade ca_bug ca_beug ca_rame
mauvais_article mauvaise_taille article_manquant produit_defectueux defectueux defectueuse arrive_casse
arrive_abime colis_abime endommage endommagee mauvaise_adresse raccroche_au_nez on_m_a_raccroche
toujours_pas_repare toujours_pas_resolu pas_resolu personne_n_est_venu personne_n_est_passe
n_est_jamais_passe
"""

BRAND = """
service client clients support appli application app mise_a_jour version fonctionnalite commande
commandes livraison colis compte mot_de_passe remboursement produit produits site boutique
magasin facture abonnement prix tarif equipe conseiller hotline ticket bug serveur reseau
connexion reservation billet vol train retard carte paiement preleve
"""

SECOND_PERSON = "tu t toi te ta ton tes vous votre vos"

SPAM = """
abonnez_vous abonne_toi ma_chaine visitez cliquez_ici cliquez_sur_le_lien lien_en_bio
gagner_de_l_argent argent_facile gagnez gratuit concours code_promo promo reduction offre_limitee
achetez travail_a_domicile investissement suivez_moi contactez_moi rencontres_coquines
"""

SUGGESTION = """
ce_serait_bien ce_serait_top ce_serait_genial ce_serait_cool ce_serait_pratique ce_serait_super
ca_serait_bien ca_serait_top ca_serait_cool serait_il_possible serait_bien serait_top
vous_devriez tu_devrais il_faudrait faudrait pourriez_vous_ajouter pourriez_vous pouvez_vous_ajouter
merci_d_ajouter ajoutez ajouter_une_option j_aimerais on_aimerait nous_aimerions
la_possibilite_de possibilite_de suggestion je_suggere je_propose proposition pensez_a_ajouter
pensez_a pourquoi_ne_pas_ajouter pourquoi_pas_ajouter amelioration idee_d_amelioration
il_serait_bien il_serait_utile ce_serait_utile ca_serait_utile ca_serait_pratique pourquoi_ne_pas
vous_pourriez pourriez_vous_permettre permettre_de ajouter_la_possibilite serait_il_envisageable
je_recommande on_pourrait_avoir ce_qui_manque il_manque ca_manque j_aimerais_pouvoir
"""

# Autres tournures de demande, lues par les règles d'intention seulement (pas une variable des
# modèles : les têtes livrées n'ont pas à être réentraînées pour elles).
REQUEST = """
ce_serait_chouette ca_serait_genial ca_serait_super j_adorerais on_adorerait je_souhaiterais
nous_souhaiterions je_voudrais_pouvoir on_voudrait_pouvoir merci_de_rajouter rajoutez
pourriez_vous_mettre pouvez_vous_mettre est_ce_que_vous_pourriez donnez_nous_la_possibilite
"""

# Demandes de fonctionnalité à l'impératif ou à l'infinitif, comptées seulement en tête de message
# ("Ajoutez un mode sombre", "Permettre l'export en CSV" ; pas "j'ai ajouté").
IMPERATIVE = """
ajoutez ajouter rajouter permettez permettre proposez proposer integrez integrer offrez
mettez_en_place mettez_un mettez_une faites_un faites_une donnez_nous
"""

# Marques d'ironie : un éloge à côté de l'une d'elles est ironique ("bravo, encore en panne 🙄").
SARCASM = """
🙄 😒 🙃 merci_pour_rien bravo_pour_rien c_est_ca_oui
"""

QUESTION_START = """
comment pourquoi quand ou quel quelle quels quelles qui combien est_ce_que
peut_on pouvez_vous savez_vous y_a_t_il quelqu_un puis_je dois_je qu_est_ce_que c_est_quoi
"""

# "ça marche pas mal" (works quite well) is praise, not the failure cue "marche pas".
PRAISE = """
merci merci_beaucoup genial geniale super top bravo parfait parfaite excellent excellente
j_adore adore magnifique formidable felicitations chapeau nickel impeccable trop_bien
au_top tres_bien bien_joue incroyable marche_pas_mal fonctionne_pas_mal
"""

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
ordure ordures pourriture enflure enflures tocard tocards tocarde pouffiasse pouffiasses grognasse
chienne chiennes garce garces petasse petasses blaireau blaireaux guignol guignols neuneu
grosse_vache grosse_truie gros_porc sale_porc lopette couille_molle baltringue
sac_a_merde tete_de_con tete_de_noeud sale_chien pute putes espece_de_con pauvre_con pauvre_conne
bande_de_cons bande_de_connards
sale_con sale_conne gros_con grosse_conne petit_con petite_conne vieux_con fils_de_chien nique_ta_race ntr
va_chier va_te_faire_voir tete_de_cul face_de_rat face_de_pet mange_merde suceur suceuse suceurs
pauvre_type pauvre_merde pauvre_tache espece_d_abruti espece_d_idiot espece_de_debile gogole gogoles
triso trisos debile_mental attarde_mental nulos looser loser losers bouffonne pouffe pouffes morue
trainee trainees catin chiennasse radasse salopes gros_lard grosse_baleine gros_tas grosse_truie
sale_gros sale_grosse sale_gamin sale_gamine sale_bouffon sale_merde sale_pute ferme_la fermez_la
la_ferme ta_geule tg casse_toi cassez_vous degage degagez personne_ne_t_aime personne_t_aime
tu_pues tu_sers_a_rien tu_sers_a_rien_du_tout t_sers_a_rien abrutie_finie con_comme_un_balai
"""

INSULT_ADJ = """
nul nuls nulle nulles naze nazes con conne cons bete betes stupide stupides moche moches gros grosse laid laide
debile idiot idiote ridicule minable minables pathetique pitoyable incompetent incompetents incapable incapables
degueulasse pourri pourris pourrie clown clowns
obese obeses handicape handicapee attarde attardee demeure demeuree mongol gogol triso immonde
repugnant repugnante hideux hideuse degueu conasse cinglé cingle tare taree
"""
PERSON_PREFIX = """
t_es tu_es t_es_trop tu_es_trop t_es_vraiment vous_etes vous_etes_tous vous_etes_vraiment espece_de
pauvre sale t_es_qu_un t_es_une tu_es_une tu_es_un t_es_un vous_etes_des bande_de gros grosse
"""

HATE = """
bougnoule bougnoules bicot bicots negro negros negre negres negresse youpin youpins youtre youtres
pede pedes pd tapette tapettes tarlouze tarlouzes tafiole tafioles gouine gouines fiotte fiottes
bamboula bamboulas chinetoque chinetoques niakoue niakoues raton ratons crouille crouilles
sale_arabe sale_arabes sale_noir sale_noirs sale_juif sale_juifs sale_musulman sale_musulmans
sale_race sale_pd sale_pede sale_immigre sale_migrant sales_migrants sale_rom sales_roms sale_negre
retourne_dans_ton_pays retournez_dans_votre_pays rentre_chez_toi rentrez_chez_vous
sous_homme sous_hommes vermine mongolien mongoliens heil_hitler sieg_heil
pedale pedales sale_pedale sale_homo sale_gay sale_gouine sale_tapette sale_negro sale_bougnoule
sale_chinois sale_noire sale_arabe_de_merde sale_juive sale_musulmane sale_blanc sale_bamboula
bougnoul bougnouls sale_bicot negros_de_merde rentre_dans_ton_pays retourne_chez_toi
retourne_en_afrique les_arabes_dehors les_noirs_dehors les_juifs_dehors
"""

THREAT = """
je_vais_te_tuer j_vais_te_tuer je_vais_te_buter j_vais_te_buter je_te_tue je_vais_te_crever
je_vais_te_defoncer j_vais_te_defoncer je_vais_te_frapper je_vais_t_eclater je_vais_te_niquer
on_va_te_retrouver on_va_te_tuer on_va_te_buter tu_vas_mourir tu_vas_crever va_crever va_mourir
creve crevez suicide_toi tue_toi pends_toi va_te_pendre je_sais_ou_tu_habites
je_sais_ou_tu_vis tu_vas_le_regretter fais_gaffe_a_toi je_vais_te_violer
te_violer egorger je_vais_t_egorger on_va_vous_egorger bruler_vifs mort_aux
t_es_mort vous_etes_morts envoie_des_nudes montre_tes_seins suce_moi
je_vais_te_casser_la_gueule je_vais_te_peter_la_gueule on_va_te_casser_la_gueule on_va_te_defoncer
je_vais_te_massacrer je_vais_te_faire_la_peau on_va_te_faire_la_peau t_es_un_homme_mort
je_vais_te_retrouver on_va_te_trouver attends_que_je_te_trouve je_vais_te_cogner je_vais_te_tabasser
on_va_te_tabasser je_vais_te_casser_les_dents va_te_suicider suicide_toi_stp tu_merites_de_mourir
tu_devrais_mourir tu_devrais_crever va_te_jeter_d_un_pont jette_toi_d_un_pont tu_merites_de_crever
je_vais_te_bruler on_va_te_bruler je_vais_te_planter je_vais_te_poignarder crevez_tous
"""

PROFANITY = """
merde putain ptn bordel chier fait_chier fais_chier foutre nique niquer bite couille couilles chiant
chiante emmerde emmerder emmerdes fout foutu foutue
"""

CRITICISM = """
nul naze pourri pourrie inadmissible honteux honteuse scandaleux scandaleuse arnaque arnaques arnaqueur
remboursement rembourser bug bugs beug plante plantage lent lente decu decue decus decevant decevante
catastrophique catastrophe inutilisable inacceptable lamentable minable minables pire honte
n_importe_quoi jamais_plus escroquerie galere ras_le_bol marre panne retard annule
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
"""

QUESTION_START = """
comment pourquoi quand ou quel quelle quels quelles qui combien est_ce_que
peut_on pouvez_vous savez_vous y_a_t_il quelqu_un puis_je dois_je qu_est_ce_que c_est_quoi
"""

PRAISE = """
merci merci_beaucoup genial geniale super top bravo parfait parfaite excellent excellente
j_adore adore magnifique formidable felicitations chapeau nickel impeccable trop_bien
au_top tres_bien bien_joue incroyable
"""

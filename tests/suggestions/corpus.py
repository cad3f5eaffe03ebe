"""The collateral library of Fieldline (field-service software) that the suggestion tests
rank: live pieces across kinds, stages, industries, personas and products, near-miss
pieces reps must never see (drafts, in review, archived, expired ones on the right topic),
the customer questions the library answers, and the usage that shows what works.

`age_days` is how long ago a piece was approved (the fixture moves the app's clock).
"""

from __future__ import annotations

from typing import Any

QUESTIONS = {
    "offline": "Does it work offline?",
    "rollout": "How long does rollout take?",
    "soc2": "Are you SOC 2 compliant?",
    "sso": "Do you support single sign-on?",
    "sap": "Do you integrate with SAP?",
    "hipaa": "Is it HIPAA compliant?",
    "pricing": "How is pricing structured?",
    "spreadsheets": "Can we migrate from spreadsheets?",
    "overtime": "Can it enforce union overtime rules?",
    "spanish": "Is the app available in Spanish?",
    "signatures": "Can technicians capture customer signatures?",
    "zapier": "Do you have a Zapier integration?",  # nobody answers it yet
}

LIVE: list[dict[str, Any]] = [
    {
        "key": "construction_overtime_case",
        "title": "Granite Builders cut payroll overtime 18% with Fieldline",
        "kind": "case_study",
        "summary": "A 400-person general contractor replaced paper timesheets and "
        "whiteboard scheduling, and paid back the investment in seven months.",
        "body": "Granite Builders runs 35 job sites across Colorado. Foremen filled in paper "
        "timesheets on Fridays and the payroll team spent two days keying them in. Overtime "
        "was approved after the fact, if at all. With Fieldline crews clock in on the field "
        "app, the scheduler warns before a shift pushes anyone into overtime, and payroll "
        "exports run in minutes. Overtime fell 18 percent in the first two quarters and the "
        "CFO saw payback in seven months.",
        "stages": ["decision"],
        "industries": ["construction"],
        "personas": ["cfo", "operations-manager"],
        "products": ["field-app", "scheduler"],
        "tags": ["roi", "overtime", "payroll"],
        "age_days": 120,
    },
    {
        "key": "construction_cfo_testimonial",
        "title": "“We paid for Fieldline in one quarter” — Granite Builders",
        "kind": "testimonial",
        "summary": "The CFO of Granite Builders on labour costs and payback.",
        "body": "“Our labour costs were a black box until we moved timesheets into Fieldline. "
        "We paid for it in one quarter just from overtime we no longer approve by accident.” "
        "— Dana Whitfield, CFO, Granite Builders.",
        "stages": ["decision"],
        "industries": ["construction"],
        "personas": ["cfo"],
        "products": ["field-app"],
        "tags": ["roi", "quote"],
        "fields": {"customer": "Granite Builders", "quote_author": "Dana Whitfield"},
        "age_days": 100,
    },
    {
        "key": "union_overtime_onepager",
        "title": "Union overtime and prevailing-wage rules, enforced by the scheduler",
        "kind": "one_pager",
        "summary": "Collective agreements turned into scheduling rules: call-out pay, rest "
        "periods, seniority order and overtime thresholds.",
        "body": "Unionised crews work under rules that spreadsheets cannot enforce: daily and "
        "weekly overtime thresholds, minimum rest between shifts, call-out pay and offering "
        "overtime by seniority. Fieldline's scheduler encodes each collective agreement and "
        "flags a schedule that breaks it before it is published. Prevailing-wage jobs carry "
        "their rates into payroll exports automatically.",
        "stages": ["consideration"],
        "industries": [],
        "personas": ["operations-manager"],
        "products": ["scheduler"],
        "tags": ["overtime", "labour rules"],
        "questions": ["overtime"],
        "age_days": 60,
    },
    {
        "key": "offline_onepager",
        "title": "Offline mode: inspections and work orders without a signal",
        "kind": "one_pager",
        "summary": "Technicians keep working in basements, tunnels and remote sites; "
        "everything syncs when the connection returns.",
        "body": "Job sites and plant rooms rarely have good coverage. The Fieldline field app "
        "stores forms, checklists, drawings and photos on the device, so technicians "
        "complete work orders with no signal at all. When the phone reconnects, changes sync "
        "in the background and conflicts are resolved field by field. Supervisors see which "
        "devices still have work waiting to upload.",
        "stages": ["consideration"],
        "industries": ["construction", "utilities"],
        "personas": ["field-technician", "operations-manager"],
        "products": ["field-app"],
        "tags": ["offline", "mobile"],
        "questions": ["offline"],
        "age_days": 45,
    },
    {
        "key": "security_whitepaper",
        "title": "Fieldline security and compliance: SOC 2 Type II, SSO and encryption",
        "kind": "white_paper",
        "summary": "How Fieldline protects customer data: audits, access control, encryption "
        "and incident response.",
        "body": "Fieldline holds a SOC 2 Type II report renewed every year. Data is encrypted "
        "in transit with TLS 1.3 and at rest with AES-256. Customers sign in through SAML "
        "single sign-on with their identity provider, and role-based permissions limit what "
        "each dispatcher or technician can see. Penetration tests run twice a year; the "
        "security team answers vendor questionnaires within five business days.",
        "stages": ["decision"],
        "industries": [],
        "personas": ["it-director"],
        "products": ["platform"],
        "tags": ["security", "compliance"],
        "questions": ["soc2", "sso"],
        "age_days": 200,
    },
    {
        "key": "sso_setup_guide",
        "title": "Setting up single sign-on with Okta and Azure AD",
        "kind": "one_pager",
        "summary": "Step by step: connect your identity provider over SAML and provision "
        "users automatically with SCIM.",
        "body": "IT teams connect Fieldline to Okta, Azure AD or Google Workspace in under an "
        "hour. This guide walks through the SAML metadata exchange, attribute mapping for "
        "roles, SCIM provisioning so that leavers lose access at once, and how to test SSO "
        "with a pilot group before switching everyone over.",
        "stages": ["onboarding"],
        "industries": [],
        "personas": ["it-director"],
        "products": ["platform"],
        "tags": ["sso", "okta", "saml"],
        "questions": ["sso"],
        "age_days": 90,
    },
    {
        "key": "hipaa_brief",
        "title": "HIPAA and patient data in Fieldline: a guide for hospital IT",
        "kind": "one_pager",
        "summary": "What Fieldline stores, the business associate agreement, and how "
        "protected health information stays out of work orders.",
        "body": "Hospitals use Fieldline to maintain imaging systems, infusion pumps and "
        "building equipment. Fieldline signs a business associate agreement, keeps audit "
        "logs of every access, and lets administrators block free-text fields where "
        "technicians might type protected health information. Data stays in US regions.",
        "stages": ["decision"],
        "industries": ["healthcare"],
        "personas": ["it-director"],
        "products": ["platform"],
        "tags": ["hipaa", "compliance"],
        "questions": ["hipaa"],
        "age_days": 150,
    },
    {
        "key": "healthcare_case",
        "title": "St. Anne's Health cut medical equipment downtime 30%",
        "kind": "case_study",
        "summary": "Clinical engineering moved preventive maintenance of 9,000 devices from "
        "spreadsheets to Fieldline and passed its Joint Commission survey.",
        "body": "St. Anne's Health maintains infusion pumps, ventilators and imaging systems "
        "across four hospitals. Preventive maintenance lived in spreadsheets and missed "
        "inspections surfaced only at survey time. With Fieldline, biomedical technicians get "
        "their inspections scheduled by risk class, scan each device's tag, and attach "
        "results on the spot. Equipment downtime fell 30 percent and the Joint Commission "
        "survey found no open findings.",
        "stages": ["decision"],
        "industries": ["healthcare"],
        "personas": ["operations-manager"],
        "products": ["scheduler", "field-app"],
        "tags": ["preventive maintenance", "medical devices"],
        "age_days": 80,
    },
    {
        "key": "healthcare_testimonial",
        "title": "“Survey week is just another week now” — St. Anne's Health",
        "kind": "testimonial",
        "summary": "The director of clinical engineering on audit readiness.",
        "body": "“We used to dread the Joint Commission survey. Now every inspection and "
        "repair is documented in Fieldline, so survey week is just another week.” — Marcus "
        "Lee, Director of Clinical Engineering, St. Anne's Health.",
        "stages": ["decision"],
        "industries": ["healthcare"],
        "personas": ["operations-manager"],
        "products": ["field-app"],
        "tags": ["quote", "audits"],
        "fields": {"customer": "St. Anne's Health", "quote_author": "Marcus Lee"},
        "age_days": 70,
    },
    {
        "key": "healthcare_ebook",
        "title": "The state of clinical engineering in 2026",
        "kind": "ebook",
        "summary": "Survey of 300 hospital maintenance leaders: staffing, device growth and "
        "the move to mobile work orders.",
        "body": "Hospitals manage more connected medical devices every year with the same "
        "number of biomedical technicians. This report summarises a survey of 300 clinical "
        "engineering and facilities leaders on staffing, budgets, cybersecurity of devices "
        "and how mobile work orders change their day.",
        "stages": ["awareness"],
        "industries": ["healthcare"],
        "personas": ["operations-manager", "ceo"],
        "products": [],
        "tags": ["research"],
        "age_days": 30,
    },
    {
        "key": "sap_connector",
        "title": "Connecting Fieldline to SAP S/4HANA: work orders, parts and invoices",
        "kind": "one_pager",
        "summary": "The certified SAP connector keeps equipment, work orders, spare parts and "
        "billing in step with your ERP.",
        "body": "Manufacturers that run SAP S/4HANA or SAP ECC keep it as the system of record. "
        "The certified Fieldline connector syncs functional locations, equipment and "
        "maintenance orders from SAP PM, reserves spare parts in SAP MM, and posts completed "
        "work and billable hours back for invoicing. Most integrations go live in four weeks.",
        "stages": ["consideration", "decision"],
        "industries": ["manufacturing"],
        "personas": ["it-director"],
        "products": ["platform", "billing"],
        "tags": ["integration", "erp", "sap"],
        "questions": ["sap"],
        "age_days": 110,
    },
    {
        "key": "netsuite_integration",
        "title": "NetSuite and QuickBooks integration for service invoicing",
        "kind": "one_pager",
        "summary": "Completed jobs become invoices in your accounting system, with parts, "
        "labour and tax.",
        "body": "Smaller service businesses run NetSuite or QuickBooks Online. Fieldline "
        "creates customers, items and invoices there the moment a job is closed, so the "
        "office no longer retypes job sheets. Payments flow back so technicians see which "
        "customers are on hold.",
        "stages": ["consideration"],
        "industries": [],
        "personas": ["cfo", "it-director"],
        "products": ["billing"],
        "tags": ["integration", "accounting"],
        "age_days": 140,
    },
    {
        "key": "manufacturing_case",
        "title": "Ironworks Manufacturing raised first-time fix rate to 92%",
        "kind": "case_study",
        "summary": "An equipment maker's field service team sent the right technician with "
        "the right parts, first time.",
        "body": "Ironworks builds industrial compressors and services 6,000 installed units. "
        "Repeat visits were eating margin: technicians arrived without the right part or the "
        "right certification. Fieldline's scheduler matches skills to each job and checks van "
        "stock before dispatch. First-time fix rate rose from 74 to 92 percent in a year.",
        "stages": ["decision"],
        "industries": ["manufacturing"],
        "personas": ["operations-manager"],
        "products": ["scheduler"],
        "tags": ["first-time fix"],
        "age_days": 160,
    },
    {
        "key": "servicemax_battlecard",
        "title": "Battlecard: Fieldline vs. ServiceMax for equipment makers",
        "kind": "battlecard",
        "summary": "Where we win against ServiceMax with manufacturers, and the objections "
        "to expect.",
        "body": "ServiceMax sells to large manufacturers on top of Salesforce. Lead with time "
        "to value: Fieldline goes live in weeks, not quarters, and needs no Salesforce "
        "licences for technicians. Expect objections about installed-base depth; answer with "
        "the SAP connector and the Ironworks story.",
        "stages": ["decision"],
        "industries": ["manufacturing"],
        "personas": [],
        "products": [],
        "tags": ["competitor", "servicemax"],
        "age_days": 50,
    },
    {
        "key": "servicetitan_battlecard",
        "title": "Battlecard: winning against ServiceTitan",
        "kind": "battlecard",
        "summary": "ServiceTitan targets residential trades; here is how we win commercial "
        "contractors.",
        "body": "ServiceTitan is built for residential plumbing and HVAC shops and prices per "
        "technician with a long contract. Commercial contractors need multi-site projects, "
        "union rules and subcontractors, where ServiceTitan is thin. When a prospect says "
        "ServiceTitan quoted less, compare the total cost over three years including "
        "implementation fees.",
        "stages": ["decision"],
        "industries": ["construction", "facilities"],
        "personas": [],
        "products": [],
        "tags": ["competitor", "servicetitan"],
        "age_days": 40,
    },
    {
        "key": "pricing_onepager",
        "title": "Fieldline pricing: per-technician plans and what is included",
        "kind": "one_pager",
        "summary": "Three plans priced per technician per month, with office users free.",
        "body": "Fieldline costs a flat fee per technician per month, billed annually. "
        "Dispatchers and office users are free. The Essentials plan covers work orders and "
        "the field app; Professional adds the scheduler and integrations; Enterprise adds "
        "SSO, the analytics add-on and a named success manager. Volume discounts start at "
        "100 technicians.",
        "stages": ["decision"],
        "industries": [],
        "personas": ["cfo", "procurement"],
        "products": [],
        "tags": ["pricing"],
        "questions": ["pricing"],
        "age_days": 20,
    },
    {
        "key": "rollout_plan",
        "title": "Your first 30 days: the Fieldline rollout plan",
        "kind": "presentation",
        "summary": "Week by week from kickoff to go-live: data import, configuration, "
        "training and the first crews in the field.",
        "body": "Most customers go live within 30 days. Week one imports customers, sites and "
        "equipment; week two configures forms and schedules; week three trains dispatchers "
        "and a pilot crew; week four rolls out to every technician. Large rollouts of several "
        "hundred technicians go region by region over six to eight weeks.",
        "stages": ["onboarding"],
        "industries": [],
        "personas": ["operations-manager"],
        "products": [],
        "tags": ["rollout", "implementation"],
        "questions": ["rollout"],
        "age_days": 75,
    },
    {
        "key": "utilities_golive_case",
        "title": "Northwind Utilities went live across 300 crews in six weeks",
        "kind": "case_study",
        "summary": "A regional utility replaced a legacy mobile workforce system, region by "
        "region, without a day of missed work.",
        "body": "Northwind Utilities serves 800,000 customers with 300 line and meter crews. "
        "Its legacy mobile workforce system was out of support. Fieldline imported assets "
        "from the GIS, trained supervisors first, and rolled out one region per week. All "
        "crews were live in six weeks, and meter exchange throughput rose 15 percent.",
        "stages": ["onboarding"],
        "industries": ["utilities"],
        "personas": ["operations-manager"],
        "products": ["field-app"],
        "tags": ["implementation"],
        "age_days": 95,
    },
    {
        "key": "storm_response_case",
        "title": "Storm response: how Coastal Power restored customers 40% faster",
        "kind": "case_study",
        "summary": "Outage restoration with live crew locations, mutual-aid crews on the "
        "app in an hour, and damage assessment from the field.",
        "body": "When ice storms hit, Coastal Power used to dispatch line crews from "
        "spreadsheets and radio calls. Now damage assessors file reports with photos from the "
        "field app, outage tickets flow to the scheduler, and dispatchers see every crew on "
        "the map, including mutual-aid crews onboarded in an hour. Restoration after the last "
        "major storm was 40 percent faster.",
        "stages": ["decision"],
        "industries": ["utilities"],
        "personas": ["operations-manager"],
        "products": ["scheduler", "field-app"],
        "tags": ["outage", "storm"],
        "age_days": 55,
    },
    {
        "key": "utilities_news",
        "title": "Industry news: new reliability reporting rules for utilities",
        "kind": "talking_point",
        "summary": "Regulators want outage data sooner; what it means for field crews.",
        "body": "State regulators are tightening reliability reporting: utilities must report "
        "outage durations by circuit within days. Talking point: field data captured on the "
        "app feeds these reports without re-keying.",
        "stages": ["awareness"],
        "industries": ["utilities"],
        "personas": [],
        "products": [],
        "tags": ["news", "regulation"],
        "expires_at": "2099-01-01T00:00:00Z",
        "age_days": 10,
    },
    {
        "key": "dispatch_onepager",
        "title": "Dispatch optimisation: the closest qualified technician, automatically",
        "kind": "one_pager",
        "summary": "Skills, travel time and SLAs weighed for every job, so dispatchers stop "
        "juggling a whiteboard.",
        "body": "The scheduler proposes the best technician for every job from skills, "
        "certifications, current location, travel time and the customer's SLA. Dispatchers "
        "drag and drop to override, and emergency jobs reshuffle the day automatically. "
        "Customers see typical travel reductions of 20 percent.",
        "stages": ["consideration"],
        "industries": [],
        "personas": ["dispatcher", "operations-manager"],
        "products": ["scheduler"],
        "tags": ["dispatch", "routing"],
        "age_days": 130,
    },
    {
        "key": "signature_onepager",
        "title": "Customer signatures, photos and checklists on any phone",
        "kind": "one_pager",
        "summary": "Proof of work the customer signs on site, with photos and a PDF report "
        "emailed before the technician leaves.",
        "body": "Technicians capture the customer's signature on the phone, attach before and "
        "after photos, and complete checklists that cannot be skipped. A branded PDF service "
        "report is emailed to the customer before the van leaves the driveway.",
        "stages": ["consideration"],
        "industries": [],
        "personas": ["field-technician"],
        "products": ["field-app"],
        "tags": ["proof of work", "mobile"],
        "questions": ["signatures"],
        "age_days": 85,
    },
    {
        "key": "languages_onepager",
        "title": "The field app speaks Spanish, French and Portuguese",
        "kind": "one_pager",
        "summary": "Each technician picks a language; forms and checklists are translated "
        "once by the office.",
        "body": "Crews are multilingual. Each technician chooses the app's language: English, "
        "Spanish, French or Portuguese. Office staff translate custom forms and checklists "
        "once, and service reports go to customers in the customer's language.",
        "stages": ["consideration"],
        "industries": [],
        "personas": ["field-technician", "operations-manager"],
        "products": ["field-app"],
        "tags": ["languages"],
        "questions": ["spanish"],
        "age_days": 65,
    },
    {
        "key": "hotels_case",
        "title": "Harborview Hotels: guest-room maintenance in half the time",
        "kind": "case_study",
        "summary": "A 12-hotel group moved housekeeping and engineering requests from paper "
        "logs to the app.",
        "body": "At Harborview Hotels, housekeepers wrote broken lamps and leaking taps in a "
        "paper log that engineering checked twice a day. Now requests go straight to the "
        "engineer on shift with the room number and a photo, and out-of-order rooms are back "
        "on sale in half the time. Guest complaints about maintenance fell by a third.",
        "stages": ["decision"],
        "industries": ["hospitality"],
        "personas": ["operations-manager"],
        "products": ["field-app"],
        "tags": ["hotels", "work orders"],
        "age_days": 35,
    },
    {
        "key": "property_case",
        "title": "Keystone Properties closes tenant requests twice as fast",
        "kind": "case_study",
        "summary": "A property manager with 40 buildings gave tenants a portal and its HVAC "
        "contractors the app.",
        "body": "Keystone Properties manages 40 office buildings. Tenants emailed requests to "
        "building managers, who forwarded them to HVAC, electrical and cleaning contractors. "
        "With the Fieldline tenant portal and subcontractor access, requests are routed "
        "automatically and tenants see progress. Requests now close twice as fast.",
        "stages": ["consideration"],
        "industries": ["facilities"],
        "personas": ["operations-manager"],
        "products": ["field-app"],
        "tags": ["tenant portal", "subcontractors"],
        "age_days": 25,
    },
    {
        "key": "hvac_contracts_case",
        "title": "Apex Mechanical renews 95% of its HVAC maintenance contracts",
        "kind": "case_study",
        "summary": "Planned maintenance visits on time, reports customers read, renewals that "
        "sell themselves.",
        "body": "Apex Mechanical services rooftop units and chillers for 1,200 commercial "
        "buildings under maintenance contracts. Visits now follow the contract calendar, and "
        "every customer receives a report with photos and readings. Contract renewals rose "
        "to 95 percent.",
        "stages": ["decision"],
        "industries": ["facilities"],
        "personas": ["operations-manager"],
        "products": ["scheduler"],
        "tags": ["hvac", "contracts"],
        "age_days": 190,
    },
    {
        "key": "roi_guide",
        "title": "Build the payback case: a CFO's guide to field service ROI",
        "kind": "white_paper",
        "summary": "The five numbers finance asks for, and how to estimate each one before "
        "a pilot.",
        "body": "Finance wants the payback period, not feature lists. This guide shows how to "
        "estimate savings from fewer repeat visits, less overtime, faster invoicing and less "
        "paperwork, and how to turn them into a payback period and a three-year ROI.",
        "stages": ["decision"],
        "industries": [],
        "personas": ["cfo"],
        "products": [],
        "tags": ["roi", "business case"],
        "age_days": 170,
    },
    {
        "key": "cfo_email",
        "title": "Email: send the business case to the CFO",
        "kind": "email_template",
        "summary": "Follow-up for the finance decision-maker with the payback summary.",
        "body": "Hi {{ first_name }}, as promised after today's call, here is the business "
        "case for {{ company }}: the payback period we estimated together, the assumptions "
        "behind it and the references you asked for.",
        "stages": ["decision"],
        "industries": [],
        "personas": ["cfo"],
        "products": [],
        "tags": ["follow-up", "business case"],
        "fields": {"subject": "The business case for {{ company }}"},
        "age_days": 15,
    },
    {
        "key": "demo_followup_email",
        "title": "Email: follow up after the demo",
        "kind": "email_template",
        "summary": "Recap the demo, attach the recording, propose next steps.",
        "body": "Hi {{ first_name }}, thanks for your time today. Here is the recording of the "
        "demo and a short recap of what we saw: scheduling, the field app and reports. "
        "Shall we plan a pilot with one crew?",
        "stages": ["consideration"],
        "industries": [],
        "personas": [],
        "products": [],
        "tags": ["follow-up", "demo"],
        "fields": {"subject": "Your Fieldline demo recording"},
        "age_days": 5,
    },
    {
        "key": "qbr_deck",
        "title": "Quarterly business review: proving value at renewal",
        "kind": "presentation",
        "summary": "A QBR template with utilisation, first-time fix and SLA trends to grow "
        "the account.",
        "body": "Use this deck with executive sponsors each quarter. It pulls utilisation, "
        "first-time fix rate and SLA attainment from the analytics add-on, compares them "
        "with the baseline before Fieldline, and proposes the next sites or teams to add.",
        "stages": ["expansion"],
        "industries": [],
        "personas": ["ceo", "operations-manager"],
        "products": ["analytics"],
        "tags": ["renewal", "qbr"],
        "age_days": 60,
    },
    {
        "key": "analytics_onepager",
        "title": "Analytics add-on: utilisation, first-time fix and SLA dashboards",
        "kind": "one_pager",
        "summary": "Dashboards operations leaders read every Monday, and exports to your BI tool.",
        "body": "The analytics add-on gives operations leaders dashboards for technician "
        "utilisation, first-time fix rate, SLA attainment and travel time, by region and "
        "team, with exports to Power BI and Tableau.",
        "stages": ["expansion"],
        "industries": [],
        "personas": ["operations-manager"],
        "products": ["analytics"],
        "tags": ["dashboards", "kpi"],
        "age_days": 100,
    },
    {
        "key": "invoicing_onepager",
        "title": "Invoice from the job site and get paid 12 days sooner",
        "kind": "one_pager",
        "summary": "Invoices leave the moment a job is done: no typing job sheets back at the "
        "office.",
        "body": "When invoices wait for paper job sheets to reach the office, days sales "
        "outstanding (DSO) climbs. Fieldline turns a completed job into an invoice with "
        "parts, labour and the customer's signature, and takes card payments on site. "
        "Customers cut DSO by 12 days on average.",
        "stages": ["decision"],
        "industries": [],
        "personas": ["cfo"],
        "products": ["billing"],
        "tags": ["invoicing", "cash flow"],
        "age_days": 45,
    },
    {
        "key": "labour_shortage_ebook",
        "title": "The construction labour shortage playbook",
        "kind": "ebook",
        "summary": "How contractors do more with the crews they have: scheduling, overtime "
        "and retention.",
        "body": "Contractors cannot hire fast enough. This playbook covers scheduling crews "
        "across sites, keeping overtime under control, training apprentices faster and "
        "retaining skilled trades. It is a primer for leaders starting to look at their "
        "field operations.",
        "stages": ["awareness"],
        "industries": ["construction"],
        "personas": ["ceo", "operations-manager"],
        "products": [],
        "tags": ["labour", "research"],
        "age_days": 20,
    },
    {
        "key": "safety_case",
        "title": "Summit Electrical: safety inspections every site, every day",
        "kind": "case_study",
        "summary": "Daily safety checklists and toolbox talks completed on the app, with "
        "OSHA records ready for audit.",
        "body": "Summit Electrical's safety manager could not prove that daily inspections "
        "happened on 60 sites. Foremen now complete safety checklists and toolbox talks on "
        "the field app, with photos of hazards and sign-off from every crew member. OSHA "
        "recordable incidents fell 22 percent.",
        "stages": ["decision"],
        "industries": ["construction"],
        "personas": ["operations-manager"],
        "products": ["field-app"],
        "tags": ["safety", "osha"],
        "age_days": 130,
    },
    {
        "key": "spreadsheet_migration_guide",
        "title": "Leaving spreadsheets and whiteboards behind: a migration guide",
        "kind": "ebook",
        "summary": "Import customers, sites, equipment and schedules from Excel in a day, "
        "and keep the office working during the switch.",
        "body": "Most teams start from Excel sheets, shared calendars and a whiteboard. This "
        "guide shows how to import customer lists, sites and equipment from spreadsheets, "
        "rebuild recurring schedules, and run both side by side for a week so nothing is "
        "missed during the switch.",
        "stages": ["consideration"],
        "industries": [],
        "personas": ["operations-manager", "dispatcher"],
        "products": ["scheduler"],
        "tags": ["migration", "spreadsheets"],
        "questions": ["spreadsheets"],
        "age_days": 115,
    },
    {
        "key": "privacy_whitepaper",
        "title": "Data privacy, GDPR and EU data residency",
        "kind": "white_paper",
        "summary": "Where data lives, sub-processors, retention and the data processing agreement.",
        "body": "European customers keep their data in EU regions. This paper lists "
        "sub-processors, retention periods and deletion on request, and includes the data "
        "processing agreement with standard contractual clauses.",
        "stages": ["decision"],
        "industries": [],
        "personas": ["it-director", "procurement"],
        "products": ["platform"],
        "tags": ["gdpr", "privacy"],
        "age_days": 210,
    },
    {
        "key": "technician_training",
        "title": "Training technicians on the field app in one afternoon",
        "kind": "presentation",
        "summary": "The training session our customers run for crews, with exercises.",
        "body": "A two-hour session gets technicians productive: opening the day's jobs, "
        "completing checklists, adding photos, capturing signatures and closing work orders. "
        "Includes practice jobs and a quick reference card.",
        "stages": ["onboarding"],
        "industries": [],
        "personas": ["field-technician"],
        "products": ["field-app"],
        "tags": ["training"],
        "age_days": 150,
    },
    {
        "key": "preventive_maintenance_ebook",
        "title": "Preventive maintenance programmes that actually stick",
        "kind": "ebook",
        "summary": "From calendar-based to condition-based maintenance for plants and buildings.",
        "body": "Preventive maintenance plans fail when they live in a binder. This eBook "
        "covers building a maintenance calendar per asset class, meter-based triggers, "
        "and moving to condition-based maintenance with sensor readings.",
        "stages": ["consideration"],
        "industries": ["manufacturing", "facilities"],
        "personas": ["operations-manager"],
        "products": ["scheduler"],
        "tags": ["preventive maintenance"],
        "age_days": 180,
    },
    {
        "key": "overview_deck",
        "title": "Fieldline overview for first meetings",
        "kind": "presentation",
        "summary": "Who we are, what the platform does, and the customers who use it.",
        "body": "Fieldline is field service management software for contractors, utilities, "
        "manufacturers and facilities teams: scheduling and dispatch, a mobile field app, "
        "invoicing and analytics on one platform.",
        "stages": ["awareness"],
        "industries": [],
        "personas": [],
        "products": ["platform"],
        "tags": ["overview"],
        "age_days": 240,
    },
    {
        "key": "van_stock_onepager",
        "title": "Van stock and spare parts that follow the technician",
        "kind": "one_pager",
        "summary": "Know what is on every van, reserve parts for tomorrow's jobs, restock "
        "automatically.",
        "body": "Technicians lose hours looking for parts. Fieldline tracks stock on every van "
        "and in every warehouse, reserves parts for scheduled jobs and suggests restocking "
        "when a van runs low.",
        "stages": ["consideration"],
        "industries": ["manufacturing"],
        "personas": ["operations-manager"],
        "products": ["inventory"],
        "tags": ["inventory", "parts"],
        "age_days": 125,
    },
]

# Pieces reps must never be suggested, each close to a live one in topic or facets.
HIDDEN: list[dict[str, Any]] = [
    {
        "key": "offline_news_expired",
        "state": "expired",
        "title": "Industry news: offline-first apps on job sites",
        "kind": "talking_point",
        "summary": "Contractors demand apps that work offline in basements and tunnels.",
        "body": "Coverage on job sites is poor; apps that work offline win. Use this when a "
        "construction prospect asks whether the field app works without a signal.",
        "stages": ["consideration"],
        "industries": ["construction"],
        "products": ["field-app"],
        "tags": ["offline", "news"],
        "expires_at": "2021-01-01T00:00:00Z",
    },
    {
        "key": "offline_v2_draft",
        "state": "draft",
        "title": "Offline mode 2.0: background sync for every form",
        "kind": "one_pager",
        "summary": "The next version of offline mode syncs forms and photos in the background.",
        "body": "Offline mode 2.0 lets technicians work offline for a week; everything syncs "
        "when the signal returns.",
        "stages": ["consideration"],
        "industries": ["construction"],
        "products": ["field-app"],
        "tags": ["offline"],
        "questions": ["offline"],
    },
    {
        "key": "sap_ariba_review",
        "state": "in_review",
        "title": "SAP Ariba connector for procurement (beta)",
        "kind": "one_pager",
        "summary": "Purchase orders for spare parts from SAP Ariba, in beta.",
        "body": "The beta SAP Ariba connector sends purchase requisitions for parts to SAP "
        "Ariba and integrates approvals with SAP S/4HANA.",
        "stages": ["consideration"],
        "industries": ["manufacturing"],
        "tags": ["sap", "integration"],
        "questions": ["sap"],
    },
    {
        "key": "price_list_archived",
        "state": "archived",
        "title": "2024 price list and discount bands",
        "kind": "one_pager",
        "summary": "Old per-technician pricing, replaced by the current plans.",
        "body": "Pricing per technician per month for 2024 plans, with discount bands for "
        "procurement teams.",
        "stages": ["decision"],
        "tags": ["pricing"],
        "questions": ["pricing"],
    },
    {
        "key": "hipaa_archived",
        "state": "archived",
        "title": "HIPAA FAQ (2023)",
        "kind": "one_pager",
        "summary": "Old answers on HIPAA compliance.",
        "body": "Is Fieldline HIPAA compliant? This 2023 FAQ answered it before the business "
        "associate agreement was updated.",
        "stages": ["decision"],
        "industries": ["healthcare"],
        "tags": ["hipaa"],
        "questions": ["hipaa"],
    },
    {
        "key": "overtime_case_draft",
        "state": "draft",
        "title": "Draft: Pioneer Construction overtime savings case study",
        "kind": "case_study",
        "summary": "Pioneer Construction cut overtime with the scheduler (awaiting approval).",
        "body": "Pioneer Construction reduced overtime and payroll errors with Fieldline's "
        "timesheets and union overtime rules.",
        "stages": ["decision"],
        "industries": ["construction"],
        "personas": ["cfo"],
        "tags": ["overtime", "roi"],
    },
    {
        "key": "storm_news_expired",
        "state": "expired",
        "title": "Industry news: hurricane season outage restoration",
        "kind": "talking_point",
        "summary": "Utilities prepare for storm restoration and mutual aid.",
        "body": "Storm restoration, outage crews and mutual aid are in the news; talk about "
        "dispatching line crews from the map.",
        "stages": ["decision"],
        "industries": ["utilities"],
        "tags": ["storm", "outage"],
        "expires_at": "2022-06-01T00:00:00Z",
    },
]

# What reps did with the live pieces, and how those deals ended: (piece, event, deal).
USAGE: list[tuple[str, str, str | None]] = [
    ("construction_overtime_case", "used_in_deal", "opp-granite-1"),
    ("construction_overtime_case", "share", "opp-pioneer-2"),
    ("construction_overtime_case", "helpful", None),
    ("storm_response_case", "used_in_deal", "opp-coastal-1"),
    ("storm_response_case", "helpful", None),
    ("pricing_onepager", "share", "opp-lost-1"),
    ("dispatch_onepager", "not_helpful", None),
    ("dispatch_onepager", "not_helpful", None),
    ("overview_deck", "helpful", None),
]
OUTCOMES = {
    "opp-granite-1": "won",
    "opp-pioneer-2": "won",
    "opp-coastal-1": "won",
    "opp-lost-1": "lost",
}

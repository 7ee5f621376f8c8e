import type { SectionSeed } from './fixtures';

/** Sections with values that need CSV quoting or formula escaping, and their export. */

export const SECTIONS: SectionSeed[] = [
  { section_id: 'MAT300-02', course_code: 'MAT300', title: '-5 apples', instructor: '\tTabbed', term: '2026SP', campus: 'MAIN' },
  { section_id: 'BIO101-01', course_code: 'BIO101', section_number: '01', title: 'Intro, "Cells"', instructor: 'Ada Lovelace', term: '2026FA',
    campus: 'MAIN', meeting_days: 'MWF', start_time: '09:00', end_time: '09:50', room: 'SCI-101', capacity: 30, enrolled: 12 },
  { section_id: 'ENG105-01', course_code: 'ENG105', title: 'Line one\nline two', instructor: '@admin', term: '2026FA', campus: 'NORTH',
    status: 'canceled', meeting_days: 'TR', start_time: '13:00', end_time: '14:15', room: '', capacity: 25, enrolled: 25 },
  { section_id: 'CHE200-01', course_code: 'CHE200', title: '=HYPERLINK("http://x")', instructor: '+1 555', term: '2026SP', campus: 'NORTH', enrolled: 0 },
];

// Written out by hand: the reference format's columns in order, RFC 4180 quoting, formulas neutralised.
export const EXPECTED = [
  'section_id,course_code,section_number,title,instructor,term,campus,status,meeting_days,start_time,end_time,room,capacity,enrolled',
  'BIO101-01,BIO101,01,"Intro, ""Cells""",Ada Lovelace,2026FA,MAIN,active,MWF,09:00,09:50,SCI-101,30,12',
  `CHE200-01,CHE200,,"'=HYPERLINK(""http://x"")",'+1 555,2026SP,NORTH,active,,,,,,0`,
  `ENG105-01,ENG105,,"Line one\nline two",'@admin,2026FA,NORTH,canceled,TR,13:00,14:15,,25,25`,
  `MAT300-02,MAT300,,'-5 apples,'\tTabbed,2026SP,MAIN,active,,,,,,`,
].join('\n') + '\n';

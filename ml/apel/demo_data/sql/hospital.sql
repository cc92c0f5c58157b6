-- Assay APEL demo database "hospital": wards, physicians, patients and admissions.
-- Written for Assay; every patient, physician and number here is fictional.

CREATE TABLE ward (
    ward_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    floor INTEGER NOT NULL,
    bed_count INTEGER NOT NULL
);

CREATE TABLE physician (
    physician_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    specialty TEXT NOT NULL,
    ward_id INTEGER NOT NULL,
    years_experience INTEGER NOT NULL,
    license_number TEXT NOT NULL UNIQUE,
    FOREIGN KEY (ward_id) REFERENCES ward (ward_id)
);

CREATE TABLE patient (
    patient_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    blood_type TEXT,
    city TEXT NOT NULL
);

CREATE TABLE admission (
    admission_id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL,
    physician_id INTEGER NOT NULL,
    admit_date TEXT NOT NULL,
    discharge_date TEXT,
    diagnosis TEXT NOT NULL,
    total_cost REAL NOT NULL,
    FOREIGN KEY (patient_id) REFERENCES patient (patient_id),
    FOREIGN KEY (physician_id) REFERENCES physician (physician_id)
);

INSERT INTO ward (ward_id, name, floor, bed_count) VALUES
    (1, 'Cardiology', 3, 24),
    (2, 'Orthopedics', 2, 30),
    (3, 'Pediatrics', 4, 18),
    (4, 'Oncology', 5, 24),
    (5, 'General Surgery', 2, 36),
    (6, 'Neurology', 3, 16),
    (7, 'Maternity', 4, 20),
    (8, 'Intensive Care', 1, 12);

INSERT INTO physician (physician_id, name, specialty, ward_id, years_experience, license_number) VALUES
    (1, 'Dr. Aisha Rahman', 'Cardiologist', 1, 18, 'MD-40211'),
    (2, 'Dr. Felipe Navarro', 'Cardiologist', 1, 7, 'MD-51873'),
    (3, 'Dr. Ingrid Solberg', 'Orthopedic Surgeon', 2, 22, 'MD-38840'),
    (4, 'Dr. Kwame Asante', 'Pediatrician', 3, 12, 'MD-47302'),
    (5, 'Dr. Lena Vogel', 'Oncologist', 4, 15, 'MD-44519'),
    (6, 'Dr. Marco Bellini', 'General Surgeon', 5, 25, 'MD-33017'),
    (7, 'Dr. Nora Quinlan', 'Neurologist', 6, 9, 'MD-52290'),
    (8, 'Dr. Omar Haddad', 'General Surgeon', 5, 12, 'MD-48125'),
    (9, 'Dr. Paula Schmidt', 'Obstetrician', 7, 20, 'MD-39964'),
    (10, 'Dr. Ravi Menon', 'Oncologist', 4, 4, 'MD-55607'),
    (11, 'Dr. Sara Lindgren', 'Pediatrician', 3, 9, 'MD-53348'),
    (12, 'Dr. Tomas Eriksen', 'Intensivist', 8, 14, 'MD-46071');

INSERT INTO patient (patient_id, name, birth_date, sex, blood_type, city) VALUES
    (1, 'Alan Foster', '1948-04-12', 'M', 'A+', 'Lakeside'),
    (2, 'Bianca Moretti', '1985-09-30', 'F', 'O-', 'Hillview'),
    (3, 'Caleb Nguyen', '2016-02-08', 'M', NULL, 'Lakeside'),
    (4, 'Dana Whitaker', '1962-11-19', 'F', 'B+', 'Lakeside'),
    (5, 'Elias Roth', '1990-06-03', 'M', 'O+', 'Brookfield'),
    (6, 'Fatima Zahra', '1993-01-27', 'F', 'A+', 'Hillview'),
    (7, 'George Papadopoulos', '1955-07-15', 'M', 'AB+', 'Brookfield'),
    (8, 'Hannah Kowalski', '2019-12-01', 'F', NULL, 'Hillview'),
    (9, 'Ivan Petrenko', '1971-03-22', 'M', 'O+', 'Lakeside'),
    (10, 'Jasmine Clarke', '1988-08-08', 'F', 'A-', 'Brookfield'),
    (11, 'Kenji Watanabe', '1944-10-05', 'M', 'B-', 'Hillview'),
    (12, 'Leila Hosseini', '1979-05-16', 'F', 'O+', 'Lakeside'),
    (13, 'Mateo Rivera', '2011-09-14', 'M', 'A+', 'Brookfield'),
    (14, 'Nina Sorensen', '1996-12-24', 'F', 'O+', 'Hillview'),
    (15, 'Oliver Grant', '1958-02-28', 'M', NULL, 'Brookfield'),
    (16, 'Priya Das', '1983-04-04', 'F', 'B+', 'Lakeside'),
    (17, 'Quentin Marsh', '1999-07-21', 'M', 'A-', 'Lakeside');

INSERT INTO admission (admission_id, patient_id, physician_id, admit_date, discharge_date, diagnosis, total_cost) VALUES
    (1, 1, 1, '2023-01-04', '2023-01-11', 'Heart failure', 18400.0),
    (2, 2, 9, '2023-01-19', '2023-01-22', 'Childbirth', 6200.0),
    (3, 3, 4, '2023-02-02', '2023-02-04', 'Asthma', 2100.0),
    (4, 4, 5, '2023-02-15', '2023-03-01', 'Breast cancer', 27500.0),
    (5, 5, 3, '2023-03-06', '2023-03-09', 'Fractured tibia', 9800.0),
    (6, 7, 2, '2023-03-21', '2023-03-25', 'Arrhythmia', 7600.0),
    (7, 9, 6, '2023-04-10', '2023-04-14', 'Appendicitis', 8900.0),
    (8, 11, 7, '2023-04-28', '2023-05-10', 'Stroke', 21300.0),
    (9, 1, 2, '2023-05-15', '2023-05-18', 'Arrhythmia', 6900.0),
    (10, 6, 9, '2023-06-02', '2023-06-05', 'Childbirth', 6200.0),
    (11, 12, 8, '2023-06-20', '2023-06-23', 'Gallstones', 7400.0),
    (12, 13, 4, '2023-07-08', '2023-07-10', 'Pneumonia', 3300.0),
    (13, 15, 1, '2023-07-30', '2023-08-06', 'Heart attack', 24100.0),
    (14, 10, 3, '2023-08-19', '2023-08-23', 'Torn ligament', 11200.0),
    (15, 4, 10, '2023-09-05', '2023-09-20', 'Breast cancer', 19800.0),
    (16, 14, 7, '2023-09-25', '2023-09-28', 'Migraine', 2600.0),
    (17, 7, 1, '2023-10-11', '2023-10-19', 'Heart failure', 18400.0),
    (18, 16, 6, '2023-11-02', '2023-11-05', 'Hernia', 7100.0),
    (19, 8, 4, '2023-11-20', '2023-11-22', 'Bronchiolitis', 1900.0),
    (20, 9, 5, '2024-01-08', '2024-01-29', 'Lung cancer', 31200.0),
    (21, 5, 8, '2024-02-03', '2024-02-06', 'Appendicitis', 8300.0),
    (22, 11, 1, '2024-02-19', NULL, 'Heart failure', 15200.0),
    (23, 2, 3, '2024-03-01', NULL, 'Fractured wrist', 4300.0),
    (24, 12, 7, '2024-03-04', NULL, 'Epilepsy', 3900.0);

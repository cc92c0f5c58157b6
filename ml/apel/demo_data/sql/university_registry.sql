-- Assay APEL demo database "university_registry": departments, instructors, courses, students, enrollments.
-- Written for Assay; every name and number here is fictional.

CREATE TABLE department (
    department_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    building TEXT NOT NULL,
    budget REAL NOT NULL
);

CREATE TABLE instructor (
    instructor_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    department_id INTEGER NOT NULL,
    salary REAL NOT NULL,
    hire_date TEXT NOT NULL,
    office TEXT UNIQUE,
    FOREIGN KEY (department_id) REFERENCES department (department_id)
);

CREATE TABLE course (
    course_id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    department_id INTEGER NOT NULL,
    credits INTEGER NOT NULL,
    instructor_id INTEGER,
    FOREIGN KEY (department_id) REFERENCES department (department_id),
    FOREIGN KEY (instructor_id) REFERENCES instructor (instructor_id)
);

CREATE TABLE student (
    student_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    major_department_id INTEGER,
    enrollment_year INTEGER NOT NULL,
    gpa REAL,
    FOREIGN KEY (major_department_id) REFERENCES department (department_id)
);

CREATE TABLE enrollment (
    student_id INTEGER NOT NULL,
    course_id INTEGER NOT NULL,
    semester TEXT NOT NULL,
    grade TEXT,
    PRIMARY KEY (student_id, course_id),
    FOREIGN KEY (student_id) REFERENCES student (student_id),
    FOREIGN KEY (course_id) REFERENCES course (course_id)
);

INSERT INTO department (department_id, name, building, budget) VALUES
    (1, 'Computer Science', 'Turing Hall', 1250000.0),
    (2, 'Mathematics', 'Gauss Building', 830000.0),
    (3, 'History', 'Whitman Hall', 410000.0),
    (4, 'Biology', 'Darwin Center', 980000.0),
    (5, 'Economics', 'Gauss Building', 640000.0),
    (6, 'Music', 'Aria House', 410000.0),
    (7, 'Philosophy', 'Whitman Hall', 290000.0),
    (8, 'Chemistry', 'Curie Laboratory', 760000.0);

INSERT INTO instructor (instructor_id, name, department_id, salary, hire_date, office) VALUES
    (1, 'Ada Whitfield', 1, 128000.0, '2012-08-15', 'TH-301'),
    (2, 'Brian Okafor', 1, 112000.0, '2017-01-09', 'TH-214'),
    (3, 'Chen Liu', 2, 99000.0, '2009-08-20', 'GB-110'),
    (4, 'Dolores Ruiz', 2, 87000.0, '2020-08-17', NULL),
    (5, 'Edgar Hale', 3, 76000.0, '2004-09-01', 'WH-02'),
    (6, 'Farah Nasser', 4, 104000.0, '2015-08-24', 'DC-405'),
    (7, 'Gregor Lind', 5, 99000.0, '2011-01-10', 'GB-220'),
    (8, 'Hilde Brandt', 6, 68000.0, '2019-08-19', NULL),
    (9, 'Isaac Pema', 4, 91000.0, '2018-01-08', 'DC-112'),
    (10, 'Julia Moreau', 7, 72000.0, '2016-08-22', 'WH-14'),
    (11, 'Kofi Mensah', 1, 118500.0, '2021-08-16', NULL),
    (12, 'Laura Benn', 5, 83000.0, '2022-01-10', 'GB-221'),
    (13, 'Marta Kowalczyk', 8, 95500.0, '2014-08-18', 'CL-105');

INSERT INTO course (course_id, code, title, department_id, credits, instructor_id) VALUES
    (1, 'CS101', 'Introduction to Programming', 1, 4, 2),
    (2, 'CS220', 'Data Structures', 1, 4, 1),
    (3, 'CS340', 'Databases', 1, 3, 11),
    (4, 'CS450', 'Machine Learning', 1, 3, 1),
    (5, 'MA110', 'Calculus I', 2, 4, 3),
    (6, 'MA210', 'Linear Algebra', 2, 3, 4),
    (7, 'MA330', 'Probability', 2, 3, 3),
    (8, 'HI105', 'World History', 3, 3, 5),
    (9, 'HI240', 'History of Science', 3, 3, NULL),
    (10, 'BI120', 'Cell Biology', 4, 4, 6),
    (11, 'BI230', 'Genetics', 4, 4, 9),
    (12, 'EC101', 'Principles of Economics', 5, 3, 7),
    (13, 'EC310', 'Econometrics', 5, 4, 12),
    (14, 'MU100', 'Music Theory', 6, 2, 8),
    (15, 'PH150', 'Logic', 7, 3, 10),
    (16, 'PH260', 'Ethics', 7, 3, NULL),
    (17, 'BI310', 'Ecology', 4, 3, NULL),
    (18, 'MU210', 'Jazz Ensemble', 6, 1, 8),
    (19, 'CH101', 'General Chemistry', 8, 4, 13);

INSERT INTO student (student_id, name, email, major_department_id, enrollment_year, gpa) VALUES
    (1, 'Amara Diallo', 'amara.diallo@students.example.edu', 1, 2021, 3.72),
    (2, 'Ben Carter', 'ben.carter@students.example.edu', 2, 2022, 3.15),
    (3, 'Clara Jensen', 'clara.jensen@students.example.edu', 1, 2020, 3.9),
    (4, 'Diego Alvarez', 'diego.alvarez@students.example.edu', 5, 2021, 2.85),
    (5, 'Eun-ji Park', 'eunji.park@students.example.edu', 4, 2023, 3.5),
    (6, 'Felix Wagner', 'felix.wagner@students.example.edu', NULL, 2023, NULL),
    (7, 'Grace Obi', 'grace.obi@students.example.edu', 3, 2020, 3.15),
    (8, 'Hugo Lambert', 'hugo.lambert@students.example.edu', 1, 2022, 2.98),
    (9, 'Ines Costa', 'ines.costa@students.example.edu', 6, 2021, 3.64),
    (10, 'Jamal Reed', 'jamal.reed@students.example.edu', 5, 2022, 3.05),
    (11, 'Kira Novak', 'kira.novak@students.example.edu', 4, 2020, 3.9),
    (12, 'Liam Murphy', 'liam.murphy@students.example.edu', NULL, 2023, 3.4),
    (13, 'Maya Singh', 'maya.singh@students.example.edu', 2, 2021, 3.81),
    (14, 'Noah Fischer', 'noah.fischer@students.example.edu', 1, 2023, NULL),
    (15, 'Olivia Chen', 'olivia.chen@students.example.edu', 7, 2022, 3.33),
    (16, 'Pedro Santos', 'pedro.santos@students.example.edu', 5, 2020, 2.6),
    (17, 'Quinn Harper', 'quinn.harper@students.example.edu', 4, 2022, 3.15),
    (18, 'Rania Haddad', 'rania.haddad@students.example.edu', 2, 2023, 3.58),
    (19, 'Sven Olsen', 'sven.olsen@students.example.edu', 3, 2024, NULL);

INSERT INTO enrollment (student_id, course_id, semester, grade) VALUES
    (1, 1, 'Fall 2021', 'A'),
    (1, 2, 'Spring 2022', 'A'),
    (1, 3, 'Fall 2022', 'B'),
    (1, 5, 'Fall 2021', 'B'),
    (2, 5, 'Fall 2022', 'A'),
    (2, 6, 'Spring 2023', 'B'),
    (2, 1, 'Fall 2022', 'B'),
    (3, 1, 'Fall 2020', 'A'),
    (3, 2, 'Spring 2021', 'A'),
    (3, 4, 'Fall 2023', NULL),
    (4, 12, 'Fall 2021', 'C'),
    (4, 13, 'Spring 2023', 'B'),
    (4, 5, 'Fall 2021', 'C'),
    (5, 10, 'Fall 2023', NULL),
    (5, 5, 'Fall 2023', NULL),
    (6, 8, 'Fall 2023', NULL),
    (7, 8, 'Fall 2020', 'A'),
    (7, 9, 'Spring 2021', 'A'),
    (7, 15, 'Fall 2021', 'B'),
    (8, 1, 'Fall 2022', 'C'),
    (8, 2, 'Spring 2023', 'B'),
    (9, 14, 'Fall 2021', 'A'),
    (9, 18, 'Spring 2022', 'A'),
    (10, 12, 'Fall 2022', 'B'),
    (10, 5, 'Fall 2022', 'B'),
    (11, 10, 'Fall 2020', 'A'),
    (11, 11, 'Spring 2021', 'A'),
    (12, 1, 'Fall 2023', NULL),
    (12, 14, 'Fall 2023', NULL),
    (13, 5, 'Fall 2021', 'A'),
    (13, 6, 'Spring 2022', 'A'),
    (13, 7, 'Fall 2022', 'A'),
    (13, 3, 'Fall 2022', 'A'),
    (14, 1, 'Fall 2023', NULL),
    (15, 15, 'Fall 2022', 'A'),
    (15, 16, 'Spring 2023', 'B'),
    (16, 12, 'Fall 2020', 'C'),
    (17, 10, 'Fall 2022', 'B'),
    (18, 5, 'Fall 2023', NULL),
    (18, 1, 'Fall 2023', NULL);

-- Assay APEL demo database "city_library": authors, books, library members and their loans.
-- Written for Assay; every name and number here is fictional.

CREATE TABLE author (
    author_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    birth_year INTEGER,
    nationality TEXT NOT NULL
);

CREATE TABLE book (
    book_id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    author_id INTEGER NOT NULL,
    genre TEXT NOT NULL,
    publication_year INTEGER NOT NULL,
    page_count INTEGER NOT NULL,
    isbn TEXT UNIQUE,
    is_reference_only INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (author_id) REFERENCES author (author_id)
);

CREATE TABLE member (
    member_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    join_date TEXT NOT NULL,
    membership_type TEXT NOT NULL,
    city TEXT NOT NULL
);

CREATE TABLE loan (
    loan_id INTEGER PRIMARY KEY,
    book_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    loan_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    return_date TEXT,
    late_fee REAL NOT NULL DEFAULT 0,
    FOREIGN KEY (book_id) REFERENCES book (book_id),
    FOREIGN KEY (member_id) REFERENCES member (member_id)
);

INSERT INTO author (author_id, name, birth_year, nationality) VALUES
    (1, 'Mirela Stancu', 1958, 'Romanian'),
    (2, 'Tomas Ekdahl', 1971, 'Swedish'),
    (3, 'Priya Raman', 1984, 'Indian'),
    (4, 'Walter Greaves', 1932, 'British'),
    (5, 'Lucia Ferrante', 1966, 'Italian'),
    (6, 'Jonah Abernathy', 1979, 'American'),
    (7, 'Keiko Mori', 1971, 'Japanese'),
    (8, 'Samuel Odhiambo', NULL, 'Kenyan'),
    (9, 'Ruth Calder', 1945, 'British'),
    (10, 'Beatriz Ocampo', 1990, 'Argentine');

INSERT INTO book (book_id, title, author_id, genre, publication_year, page_count, isbn, is_reference_only) VALUES
    (1, 'The Salt Orchard', 1, 'Fiction', 1994, 312, '978-1-55501-001-4', 0),
    (2, 'Winter Harbour', 2, 'Mystery', 2008, 288, '978-1-55501-002-1', 0),
    (3, 'Cartography of Rain', 3, 'Poetry', 2016, 96, '978-1-55501-003-8', 0),
    (4, 'A Field Guide to Moths', 4, 'Science', 1971, 410, NULL, 0),
    (5, 'The Glass Ledger', 5, 'Mystery', 1999, 354, '978-1-55501-005-2', 0),
    (6, 'Engines of the Quiet Sea', 6, 'Science Fiction', 2012, 502, '978-1-55501-006-9', 0),
    (7, 'Paper Lanterns', 7, 'Fiction', 2003, 240, '978-1-55501-007-6', 0),
    (8, 'Red Earth Songs', 8, 'Poetry', 2010, 128, '978-1-55501-008-3', 0),
    (9, 'The Long Audit', 9, 'Mystery', 1988, 288, '978-1-55501-009-0', 0),
    (10, 'Midnight Arithmetic', 6, 'Science Fiction', 2019, 467, '978-1-55501-010-6', 0),
    (11, 'Notes from the Ferry', 2, 'Fiction', 2014, 198, '978-1-55501-011-3', 0),
    (12, 'Thirteen Small Rooms', 5, 'Fiction', 2006, 276, '978-1-55501-012-0', 0),
    (13, 'The Cormorant Year', 1, 'Fiction', 2001, 330, '978-1-55501-013-7', 0),
    (14, 'Soil and Memory', 3, 'Science', 2021, 224, '978-1-55501-014-4', 0),
    (15, 'Quiet Rivals', 9, 'Mystery', 1979, 301, '978-1-55501-015-1', 0),
    (16, 'Orbital Gardens', 10, 'Science Fiction', 2022, 388, '978-1-55501-016-8', 0),
    (17, 'Letters to a Young Beekeeper', 4, 'Science', 1965, 180, NULL, 1),
    (18, 'Harvest of Clocks', 7, 'Fiction', 2011, 276, '978-1-55501-018-2', 0);

INSERT INTO member (member_id, name, join_date, membership_type, city) VALUES
    (1, 'Oscar Lindqvist', '2019-03-12', 'Premium', 'Springfield'),
    (2, 'Nadia Petrov', '2020-07-01', 'Standard', 'Springfield'),
    (3, 'Marcus Webb', '2021-01-15', 'Student', 'Riverton'),
    (4, 'Lena Hoffmann', '2018-11-30', 'Standard', 'Riverton'),
    (5, 'Tariq Aziz', '2022-05-09', 'Student', 'Springfield'),
    (6, 'Yuki Tanaka', '2020-02-20', 'Premium', 'Oakdale'),
    (7, 'Chloe Martin', '2023-09-03', 'Standard', 'Oakdale'),
    (8, 'Rafael Duarte', '2021-06-18', 'Standard', 'Springfield'),
    (9, 'Sofia Rossi', '2022-10-11', 'Premium', 'Riverton'),
    (10, 'Ethan Brooks', '2023-01-25', 'Student', 'Oakdale'),
    (11, 'Amelia Grant', '2024-02-14', 'Standard', 'Springfield');

INSERT INTO loan (loan_id, book_id, member_id, loan_date, due_date, return_date, late_fee) VALUES
    (1, 1, 1, '2023-01-05', '2023-01-26', '2023-01-20', 0.0),
    (2, 2, 2, '2023-01-09', '2023-01-30', '2023-02-03', 1.0),
    (3, 5, 1, '2023-01-28', '2023-02-18', '2023-02-15', 0.0),
    (4, 6, 3, '2023-02-02', '2023-02-23', '2023-03-01', 1.5),
    (5, 9, 4, '2023-02-14', '2023-03-07', '2023-03-02', 0.0),
    (6, 7, 6, '2023-03-01', '2023-03-22', '2023-03-20', 0.0),
    (7, 10, 3, '2023-03-10', '2023-03-31', '2023-04-12', 3.0),
    (8, 2, 5, '2023-03-15', '2023-04-05', '2023-04-01', 0.0),
    (9, 3, 9, '2023-04-02', '2023-04-23', '2023-04-18', 0.0),
    (10, 12, 2, '2023-04-11', '2023-05-02', '2023-05-09', 1.75),
    (11, 6, 8, '2023-05-06', '2023-05-27', '2023-05-25', 0.0),
    (12, 13, 1, '2023-05-20', '2023-06-10', '2023-06-08', 0.0),
    (13, 15, 4, '2023-06-01', '2023-06-22', '2023-07-03', 2.75),
    (14, 1, 6, '2023-06-14', '2023-07-05', '2023-07-01', 0.0),
    (15, 8, 9, '2023-07-07', '2023-07-28', '2023-07-21', 0.0),
    (16, 11, 7, '2023-09-10', '2023-10-01', '2023-09-29', 0.0),
    (17, 10, 10, '2023-09-22', '2023-10-13', '2023-10-20', 1.75),
    (18, 5, 8, '2023-10-03', '2023-10-24', '2023-10-24', 0.0),
    (19, 14, 5, '2023-10-19', '2023-11-09', '2023-11-06', 0.0),
    (20, 2, 4, '2023-11-02', '2023-11-23', '2023-11-30', 1.75),
    (21, 6, 10, '2023-11-20', '2023-12-11', '2023-12-10', 0.0),
    (22, 9, 1, '2024-01-08', '2024-01-29', '2024-01-22', 0.0),
    (23, 18, 6, '2024-01-15', '2024-02-05', '2024-02-02', 0.0),
    (24, 7, 2, '2024-02-01', '2024-02-22', NULL, 0.0),
    (25, 4, 9, '2024-02-12', '2024-03-04', NULL, 0.0),
    (26, 6, 5, '2024-02-20', '2024-03-12', NULL, 0.0),
    (27, 12, 3, '2024-03-01', '2024-03-22', NULL, 0.0),
    (28, 5, 7, '2024-03-05', '2024-03-26', NULL, 0.0);
